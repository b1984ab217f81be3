# etcd's v3 API, generated at build time from the .proto files Debian ships with
# golang-etcd-server-dev (and the gogoproto / google.api files they import, from its
# dependencies): nothing of etcd is copied into this repository.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
set(ROLLWAY_GOCODE_DIR /usr/share/gocode/src CACHE PATH "Debian's Go source tree (golang-etcd-server-dev)")
set(_etcd_roots
  ${ROLLWAY_GOCODE_DIR}/github.com/gogo/protobuf
  ${ROLLWAY_GOCODE_DIR}/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
  ${ROLLWAY_GOCODE_DIR}/go.etcd.io)
set(_etcd_protos gogoproto/gogo.proto google/api/http.proto google/api/annotations.proto
  etcd/mvcc/mvccpb/kv.proto etcd/auth/authpb/auth.proto etcd/etcdserver/etcdserverpb/rpc.proto
  etcd/etcdserver/api/v3election/v3electionpb/v3election.proto)
set(_etcd_services etcd/etcdserver/etcdserverpb/rpc.proto
  etcd/etcdserver/api/v3election/v3electionpb/v3election.proto)
set(_etcd_out ${CMAKE_BINARY_DIR}/etcd-proto)
set(_etcd_inputs "")
set(_etcd_sources "")
set(_etcd_includes "")
foreach(root IN LISTS _etcd_roots)
  list(APPEND _etcd_includes -I${root})
endforeach()
foreach(proto IN LISTS _etcd_protos)
  set(found "")
  foreach(root IN LISTS _etcd_roots)
    if(EXISTS ${root}/${proto})
      set(found ${root}/${proto})
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "etcd's API: ${proto} not found under ${ROLLWAY_GOCODE_DIR} "
                        "(scripts/install-deps.sh installs golang-etcd-server-dev)")
  endif()
  list(APPEND _etcd_inputs ${found})
  string(REGEX REPLACE "\\.proto$" "" stem ${proto})
  list(APPEND _etcd_sources ${_etcd_out}/${stem}.pb.cc)
  if(proto IN_LIST _etcd_services)
    list(APPEND _etcd_sources ${_etcd_out}/${stem}.grpc.pb.cc)
  endif()
endforeach()
add_custom_command(
  OUTPUT ${_etcd_sources}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_etcd_out}
  COMMAND protobuf::protoc ${_etcd_includes} -I${Protobuf_INCLUDE_DIR} --cpp_out=${_etcd_out}
          --grpc_out=${_etcd_out} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} ${_etcd_protos}
  DEPENDS ${_etcd_inputs}
  COMMENT "Generating etcd's v3 API (C++ and gRPC) from ${ROLLWAY_GOCODE_DIR}"
  VERBATIM)
# Generated code: compiled without our warnings, never batched with our sources.
add_library(rollway_etcd_proto STATIC ${_etcd_sources})
target_include_directories(rollway_etcd_proto SYSTEM PUBLIC ${_etcd_out})
target_link_libraries(rollway_etcd_proto PUBLIC protobuf::libprotobuf gRPC::grpc++)
set_target_properties(rollway_etcd_proto PROPERTIES UNITY_BUILD OFF POSITION_INDEPENDENT_CODE ON)
target_compile_options(rollway_etcd_proto PRIVATE -w)
