# Writes a .cc defining vpvm::daemon::DashboardFiles() (daemon/dashboard/dashboard_files.h) with
# each file in a raw string literal.
#   cmake -DOUTPUT=dashboard_files.cc -DFILES="/=index.html|text/html;..." -P embed_dashboard.cmake
set(delimiter "vpvm_dashboard")
set(entries "")
foreach(item IN LISTS FILES)
  string(REPLACE "|" ";" parts "${item}")
  list(GET parts 0 served)
  list(GET parts 1 source)
  list(GET parts 2 type)
  file(READ "${source}" content)
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${source} contains the raw string delimiter )${delimiter}\"")
  endif()
  string(APPEND entries "      {\"${served}\", \"${type}; charset=utf-8\", R\"${delimiter}(${content})${delimiter}\"},\n")
endforeach()
file(WRITE "${OUTPUT}"
  "// Generated from daemon/dashboard/ by embed_dashboard.cmake; do not edit.\n"
  "#include \"daemon/dashboard/dashboard_files.h\"\n"
  "\n"
  "namespace vpvm::daemon {\n"
  "\n"
  "const std::vector<DashboardFile>& DashboardFiles() {\n"
  "  static const std::vector<DashboardFile> files = {\n"
  "${entries}"
  "  };\n"
  "  return files;\n"
  "}\n"
  "\n"
  "}  // namespace vpvm::daemon\n")
