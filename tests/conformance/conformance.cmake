add_test(NAME conformance
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/conformance/run_conformance.py
          $<TARGET_FILE:stepflow> ${PROJECT_SOURCE_DIR}/../shared)
set_tests_properties(conformance PROPERTIES LABELS conformance TIMEOUT 1500)
