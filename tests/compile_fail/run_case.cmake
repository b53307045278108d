cmake_minimum_required(VERSION 3.22)
# Runs one expected-compile-failure case (cmake -P). Each case states its expectation on its
# first line:
#   // expect: <the exact sentence, or its beginning, that the compiler must print>
#   // expect-success: <why this one must compile>
# The case passes only if the compiler fails AND prints the sentence (a failure for another
# reason, e.g. a typo in the case, is not a pass), or, for a control, if it compiles.
# Inputs: CXX, FLAGS (a response file with the build's flags), SOURCE, OUTPUT_DIR,
# optionally MAX_ERRORS (default 3).
foreach(_v CXX FLAGS SOURCE OUTPUT_DIR)
  if(NOT DEFINED ${_v})
    message(FATAL_ERROR "run_case.cmake: -D${_v}=... is required")
  endif()
endforeach()

# The expectation is the leading comment block (clang-format may wrap it over several lines).
file(READ ${SOURCE} _src)
set(_head "")
while(_src MATCHES "^//[ ]?([^\n]*)\n(.*)$")
  string(APPEND _head " ${CMAKE_MATCH_1}")
  set(_src "${CMAKE_MATCH_2}")
endwhile()
string(STRIP "${_head}" _head)
if(_head MATCHES "^expect-success:")
  set(_expect_success TRUE)
elseif(_head MATCHES "^expect: (.+)$")
  set(_expect_success FALSE)
  set(_sentence "${CMAKE_MATCH_1}")
else()
  message(FATAL_ERROR "${SOURCE}: the file must start with '// expect: <sentence>' or "
                      "'// expect-success: <why>'")
endif()

get_filename_component(_name ${SOURCE} NAME_WE)
file(MAKE_DIRECTORY ${OUTPUT_DIR})
# The control compiles to an object (code generation works too); a misuse only needs the front
# end, where static_assert fires (-fsyntax-only: 2 shared cores, keep the suite quick).
if(_expect_success)
  set(_mode -c ${SOURCE} -o ${OUTPUT_DIR}/${_name}.o)
else()
  set(_mode -fsyntax-only ${SOURCE})
endif()
execute_process(
  COMMAND ${CXX} @${FLAGS} ${_mode}
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)

if(_expect_success)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "control case ${_name} must compile but did not (the harness or its "
                        "flags are broken):\n${_out}")
  endif()
  message(STATUS "control ${_name}: compiled, as it must")
  return()
endif()

if(_rc EQUAL 0)
  message(FATAL_ERROR "${_name}: the misuse COMPILED; expected the error:\n  ${_sentence}")
endif()
string(FIND "${_out}" "${_sentence}" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "${_name}: failed to compile, but without the expected sentence:\n"
                      "  ${_sentence}\ncompiler output:\n${_out}")
endif()
# "A sentence, not a page": the misuse may not drag a cascade of other errors behind it.
if(NOT DEFINED MAX_ERRORS)
  set(MAX_ERRORS 3)
endif()
string(REGEX MATCHALL "error: " _errors "${_out}")
list(LENGTH _errors _n)
if(_n GREATER MAX_ERRORS)
  message(FATAL_ERROR "${_name}: the expected sentence is there, but buried in ${_n} errors "
                      "(at most ${MAX_ERRORS}):\n${_out}")
endif()
message(STATUS "${_name}: rejected with the expected sentence (${_n} error line(s)):\n  ${_sentence}")
