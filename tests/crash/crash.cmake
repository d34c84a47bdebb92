add_test(NAME crash
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/crash/crash_test.py $<TARGET_FILE:stepflow>)
set_tests_properties(crash PROPERTIES LABELS integration TIMEOUT 300)

add_test(NAME db_files
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/crash/db_files_test.py $<TARGET_FILE:stepflow>)
set_tests_properties(db_files PROPERTIES LABELS integration TIMEOUT 120)
