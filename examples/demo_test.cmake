# ctest driver for omni_demo: runs the demo twice on one database file (the second run finds the
# file of the first and starts afresh), and checks that both exit 0, print the same journey, and
# show the CRM order, the consent changes and the journey's metrics.
#   cmake -DDEMO=<omni_demo> -DDB=<database path> -P demo_test.cmake
foreach(run first second)
  execute_process(COMMAND "${DEMO}" "${DB}" RESULT_VARIABLE code OUTPUT_VARIABLE output_${run}
                  ERROR_VARIABLE errors TIMEOUT 30)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "omni_demo (${run} run) exited with ${code}:\n${errors}\n${output_${run}}")
  endif()
endforeach()
if(NOT output_first STREQUAL output_second)
  message(FATAL_ERROR "omni_demo printed a different journey on its second run")
endif()
foreach(expected "order SO-88412 Replacement router AX3000 (RMA-5521): delayed"
                 "CRM:            missing (timed out"
                 "consent whatsapp withdrawn" "consent: the customer withdrew consent"
                 "consent whatsapp granted again" "held back until"
                 "channel switches 2 (live_chat -> phone 1, messenger -> video 1)"
                 "CSAT: 1 answer(s), average 4.0, 100% satisfied")
  string(FIND "${output_first}" "${expected}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "omni_demo's output lacks \"${expected}\":\n${output_first}")
  endif()
endforeach()
