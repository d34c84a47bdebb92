# JSONata conformance: the jsonata-js 2.0.6 test suite in ../shared/jsonata, run
# through `stepflow jsonata`. The wrapper fails when the pass rate drops below
# the rate this implementation achieves.
add_test(NAME jsonata_suite
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/jsonata_threshold.py --min-rate 0.999
          ${PROJECT_SOURCE_DIR}/../shared/jsonata/check.py --jobs 2
          --cmd "$<TARGET_FILE:stepflow> jsonata {expr} --data {data} {nodata} --bindings {bindings} {limits}"
          ${PROJECT_SOURCE_DIR}/../shared/jsonata/groups)
set_tests_properties(jsonata_suite PROPERTIES LABELS conformance TIMEOUT 900)
