def test_the_world_loads(browser, world):
    clerk = browser("lushaer")
    assert clerk.get(f"/reports/{world.report_id}").status_code == 200
