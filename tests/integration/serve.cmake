# `stepflow serve` end to end: the real AWS CLI, the AWS SDK for JavaScript v3
# and hostile HTTP against the binary on a free loopback port (tests/setup.sh
# installs awscli and the SDK).
foreach(suite cli sdk hostile sigv4 restart concurrency)
  add_test(NAME serve_${suite}
    COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/serve_test.py $<TARGET_FILE:stepflow> ${suite})
  set_tests_properties(serve_${suite} PROPERTIES LABELS integration TIMEOUT 300)
endforeach()
