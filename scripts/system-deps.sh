#!/usr/bin/env bash
# System packages the project needs beyond PyPI, per purpose:
#   run    CJK fonts and HarfBuzz's subsetter for the PDFs (make run)
#   test   run's, plus chromium (browser tests) and poppler-utils' pdftoppm (PDF tests) (make test)
#   bench  run's, plus wrk, bench/web.py's load generator (make bench)
# Installed only when missing and when we may (root with apt-get); elsewhere we say what is missing and
# the tests that need it tell you again.
set -u
purpose="${1:-test}"
need=()
fc-list 2>/dev/null | grep -qiE 'noto (sans|serif) cjk|wenquanyi' || need+=(fonts-noto-cjk)
# HarfBuzz's subsetter: WeasyPrint subsets fonts with it, and workflow.publish.fonts cuts the CJK font
# down with it once (without it PDFs still work, from the full font, ≈ 100 ms slower each).
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0' || need+=(libharfbuzz-subset0)
case "$purpose" in
  run) ;;
  test)
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
    ;;
  bench)
    # bench/web.py falls back to its own Python client without it.
    command -v wrk >/dev/null 2>&1 || need+=(wrk)
    ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装系统软件包：${need[*]}…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/workflow-apt.log 2>&1 \
    || echo "warning: apt-get install ${need[*]} failed (see /tmp/workflow-apt.log)"
else
  echo "note: missing system packages ${need[*]} (see scripts/system-deps.sh)"
fi
exit 0
