"""Body types (FORMAT.md § Body types) and inference from a body's name."""

from __future__ import annotations

from enum import StrEnum


class BodyType(StrEnum):
    TOWNSHIP = "township"
    STREET = "street"
    COUNTY_GOVERNMENT = "county_government"
    COUNTY_DEPARTMENT = "county_department"
    CITY_GOVERNMENT = "city_government"
    CITY_DEPARTMENT = "city_department"
    PROVINCIAL_GOVERNMENT = "provincial_government"
    PROVINCIAL_OFFICE = "provincial_office"
    STATE_COUNCIL_DEPARTMENT = "state_council_department"
    OTHER = "other"


BODY_TYPE_LABELS = {
    BodyType.TOWNSHIP: "乡镇人民政府",
    BodyType.STREET: "街道办事处",
    BodyType.COUNTY_GOVERNMENT: "县级人民政府",
    BodyType.COUNTY_DEPARTMENT: "县级人民政府部门",
    BodyType.CITY_GOVERNMENT: "设区的市人民政府",
    BodyType.CITY_DEPARTMENT: "市级人民政府部门",
    BodyType.PROVINCIAL_GOVERNMENT: "省级人民政府",
    BodyType.PROVINCIAL_OFFICE: "省级人民政府办公厅及部门",
    BodyType.STATE_COUNCIL_DEPARTMENT: "国务院部门",
    BodyType.OTHER: "其他",
}

GOVERNMENTS = frozenset(
    {
        BodyType.TOWNSHIP,
        BodyType.STREET,
        BodyType.COUNTY_GOVERNMENT,
        BodyType.CITY_GOVERNMENT,
        BodyType.PROVINCIAL_GOVERNMENT,
    }
)
# Bodies that are 各级人民政府 in the sense of 条例 art. 50 (工作考核、社会评议和责任追究).
PEOPLES_GOVERNMENTS = GOVERNMENTS - {BodyType.STREET}

_PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆",
)  # fmt: skip
_DEPARTMENT_SUFFIXES = (
    "局",
    "委员会",
    "委",
    "办公室",
    "办",
    "中心",
    "院",
    "厅",
    "部",
    "所",
    "队",
    "站",
    "处",
)


def infer_body_type(name: str) -> BodyType:
    """Best guess of a body's type from its full name; OTHER when nothing fits."""
    n = name.strip().replace(" ", "")
    if not n:
        return BodyType.OTHER
    if n.endswith(("街道办事处", "街道")) or "街道办" in n:
        return BodyType.STREET
    if n.endswith(("镇人民政府", "乡人民政府", "镇政府", "乡政府", "镇", "乡")):
        return BodyType.TOWNSHIP
    if n.startswith("国务院") or n.startswith("国家") and n.endswith(("局", "委员会", "部", "署", "总局")):
        return BodyType.STATE_COUNCIL_DEPARTMENT
    if n.endswith("办公厅") and n.startswith(_PROVINCES):
        return BodyType.PROVINCIAL_OFFICE
    if n.endswith(("省人民政府", "自治区人民政府")) or n in {
        f"{p}市人民政府" for p in ("北京", "天津", "上海", "重庆")
    }:
        return BodyType.PROVINCIAL_GOVERNMENT
    if n.endswith(("区人民政府", "县人民政府", "旗人民政府")) or "管委会" in n or "管理委员会" in n:
        return BodyType.COUNTY_GOVERNMENT
    if n.endswith(("市人民政府", "州人民政府", "盟行政公署")):
        return _city_or_county(n)
    if n.endswith(("综合实验区", "新区", "开发区", "高新区")):
        return BodyType.COUNTY_GOVERNMENT
    if n.endswith(_DEPARTMENT_SUFFIXES):
        return _department_level(n)
    return BodyType.OTHER


def _city_or_county(name: str) -> BodyType:
    # A 县级市 usually sits under a prefecture named in front of it: 西宁市湟中区… / 苏州市昆山市.
    return BodyType.COUNTY_GOVERNMENT if name.count("市") >= 2 else BodyType.CITY_GOVERNMENT


def _department_level(name: str) -> BodyType:
    if name.startswith(_PROVINCES) and "省" in name[:5] and "市" not in name and "县" not in name:
        return BodyType.PROVINCIAL_OFFICE
    if "区" in name or "县" in name or "旗" in name:
        return BodyType.COUNTY_DEPARTMENT
    if "市" in name or "州" in name:
        return BodyType.CITY_DEPARTMENT
    return BodyType.COUNTY_DEPARTMENT
