# rollway_add_fuzz_target(NAME <target> LIBS ...): tests/fuzz/<target>_fuzz.cc, built one of two ways.
#  - ROLLWAY_FUZZ=ON (`make fuzz`, clang): the libFuzzer binary fuzz/<target>_fuzz. The Makefile
#    compiles everything with -fsanitize=fuzzer-no-link (coverage) + ASan/UBSan; only this links
#    -fsanitize=fuzzer. Target `rollway_fuzzers` builds them all and the libraries they need.
#  - otherwise (g++, every build tree): tests/<target>_fuzz_replay = the target + replay_main.cc,
#    and the ctest test fuzz_replay_<target> (label unit) that replays tests/fuzz/corpus/<target>/.
option(ROLLWAY_FUZZ "Build libFuzzer binaries (clang) instead of corpus replays" OFF)

if(NOT TARGET rollway_fuzzers)
  add_custom_target(rollway_fuzzers)
endif()

function(rollway_add_fuzz_target)
  cmake_parse_arguments(ARG "" "NAME" "LIBS" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/tests/fuzz)
  if(ROLLWAY_FUZZ)
    set(exe ${ARG_NAME}_fuzz)
    add_executable(${exe} ${dir}/${ARG_NAME}_fuzz.cc)
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  else()
    set(exe ${ARG_NAME}_fuzz_replay)
    add_executable(${exe} ${dir}/${ARG_NAME}_fuzz.cc ${dir}/replay_main.cc)
    set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME fuzz_replay_${ARG_NAME} COMMAND ${exe} ${dir}/corpus/${ARG_NAME})
    set_tests_properties(fuzz_replay_${ARG_NAME} PROPERTIES LABELS unit TIMEOUT 300)
  endif()
  # Two small files: not worth a unity batch, and their anonymous namespaces stay apart.
  set_target_properties(${exe} PROPERTIES UNITY_BUILD OFF)
  target_include_directories(${exe} PRIVATE ${dir} ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${exe} PRIVATE ${ARG_LIBS} rollway_warnings)
  add_dependencies(rollway_fuzzers ${exe})
endfunction()
