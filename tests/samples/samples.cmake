# Every sample of samples/, run end to end with its function host.
# Debian's python3-pil is importable by Debian's interpreter only, which a
# python3 earlier on PATH (pyenv, a venv) may not be.
find_program(STEPFLOW_SAMPLES_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT STEPFLOW_SAMPLES_PYTHON)
  find_program(STEPFLOW_SAMPLES_PYTHON python3 REQUIRED)
endif()
add_test(NAME samples_function_host
  COMMAND ${STEPFLOW_SAMPLES_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/function_host_test.py ${PROJECT_SOURCE_DIR}/samples)
set_tests_properties(samples_function_host PROPERTIES LABELS integration TIMEOUT 60)
foreach(sample order-pipeline retry-catch image-pipeline callback)
  string(REPLACE "-" "_" test_name "samples_${sample}")
  add_test(NAME ${test_name}
    COMMAND ${STEPFLOW_SAMPLES_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_sample.py
            $<TARGET_FILE:stepflow> ${PROJECT_SOURCE_DIR}/samples ${sample})
  set_tests_properties(${test_name} PROPERTIES LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()

# samples/embed built against `cmake --install` of this build into a temp prefix.
add_test(NAME samples_embed
  COMMAND ${STEPFLOW_SAMPLES_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/check_embed.py
          ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${CMAKE_CXX_COMPILER})
set_tests_properties(samples_embed PROPERTIES LABELS integration TIMEOUT 600)
