# Language level, warnings, sanitizers, output layout, compiler cache.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# Every binary lands at the top of the build tree: build/rollway, build/demo-app, ...
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

# Unity builds: our translation units share heavy headers (asio, nlohmann-json, spdlog,
# gtest), so compiling them in batches more than halves a clean build on 2 cores.
# -DCMAKE_UNITY_BUILD=OFF gives classic one-file-per-object builds (e.g. for clangd).
if(NOT DEFINED CMAKE_UNITY_BUILD)
  set(CMAKE_UNITY_BUILD ON)
endif()
set(CMAKE_UNITY_BUILD_BATCH_SIZE 16)

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

# Warnings for our own code (third-party C sources such as llhttp get none of this).
add_library(rollway_warnings INTERFACE)
target_compile_options(rollway_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wimplicit-fallthrough)
if(ROLLWAY_WERROR)
  target_compile_options(rollway_warnings INTERFACE -Werror)
endif()

if(ROLLWAY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(ROLLWAY_SANITIZE=1)
endif()

# rollway_add_library(NAME <module> SOURCES ... DEPS ...): the library target rollway::<module>
function(rollway_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(rollway_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(rollway::${ARG_NAME} ALIAS rollway_${ARG_NAME})
  target_include_directories(rollway_${ARG_NAME}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(rollway_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE rollway_warnings ${ARG_PRIVATE_DEPS})
endfunction()

# rollway_forbid_links(<target> <forbidden target>...): configuring fails when <target>
# links one of them, directly or through its dependencies (PUBLIC or PRIVATE: a static
# library's private dependencies end up in whatever links it). Checked once every
# target of the project exists. This is how the link graph keeps the planes apart.
function(rollway_forbid_links target)
  # A deferred call expands variables when it runs: bake the names in now.
  string(JOIN " " names ${target} ${ARGN})
  cmake_language(EVAL CODE
    "cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]] CALL _rollway_check_links ${names})")
endfunction()

function(_rollway_check_links target)
  set(forbidden ${ARGN})
  set(seen ${target})
  set(queue ${target})
  set(via_${target} ${target})
  while(queue)
    list(POP_FRONT queue current)
    set(deps "")
    foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(more ${current} ${property})
      if(more)
        list(APPEND deps ${more})
      endif()
    endforeach()
    foreach(dep IN LISTS deps)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
      if(NOT TARGET "${dep}")
        continue()
      endif()
      get_target_property(aliased ${dep} ALIASED_TARGET)
      if(aliased)
        set(dep ${aliased})
      endif()
      if(dep IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${dep})
      set(via_${dep} "${via_${current}} -> ${dep}")
      if(dep IN_LIST forbidden)
        message(FATAL_ERROR "${target} must not link ${dep}, but does: ${via_${dep}}")
      endif()
      list(APPEND queue ${dep})
    endforeach()
  endwhile()
endfunction()
