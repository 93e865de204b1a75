# cmake -DHELP2MAN=... -DGZIP=... -DPROGRAM=<path> -DNAME=<program name> -DVERSION=<version>
#       -DOUTPUT=<page.1.gz>
#       -P man_page.cmake
# Writes the man page of one program from its own --help with help2man (the version string is
# given: --version's further lines, such as the checker's line count, are not man page text), gzipped
# (-n: no time stamp, so the page is reproducible). For `mechcert`, each command listed under
# "commands:" in `mechcert --help` gets a COMMANDS subsection with its `mechcert <command> --help`,
# so commands added later appear without editing this file.
get_filename_component(dir ${PROGRAM} DIRECTORY)
get_filename_component(out_dir ${OUTPUT} DIRECTORY)
set(page ${out_dir}/${NAME}.1)
set(include_file ${out_dir}/${NAME}.h2m)
# Run the program by its bare name (PATH = its directory), so no build path shows in the page.
set(ENV{PATH} "${dir}:$ENV{PATH}")

function(roff_block text out)  # literal text for roff: escape backslashes and leading dots
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} ".nf\n${text}\n.fi\n" PARENT_SCOPE)
endfunction()

set(extra "")
if(NAME STREQUAL "mechcert")
  execute_process(COMMAND ${NAME} --help OUTPUT_VARIABLE usage RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NAME} --help failed (${rc})")
  endif()
  string(REGEX MATCH "\ncommands:\n(  [^\n]*\n)+" listing "${usage}")
  string(REGEX MATCHALL "\n  [a-z][a-z0-9-]*" commands "${listing}")
  set(extra "[COMMANDS]\n")
  foreach(c ${commands})
    string(STRIP "${c}" c)
    execute_process(COMMAND ${NAME} ${c} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(WARNING "${NAME} ${c} --help failed (${rc}); left out of the man page")
      continue()
    endif()
    roff_block("${help}" block)
    string(APPEND extra ".SS \"${NAME} ${c}\"\n${block}")
  endforeach()
endif()
string(APPEND extra "[SEE ALSO]\n")
if(NAME STREQUAL "mechcert")
  string(APPEND extra ".BR mechcert-check (1)\n")
else()
  string(APPEND extra ".BR mechcert (1)\n")
endif()
string(APPEND extra ".PP\nThe specification (normative) and the certificate JSON Schema: "
       "/usr/share/mechcert/SPEC.md, /usr/share/mechcert/certificate.schema.json; example models "
       "and certificates: /usr/share/mechcert/examples/ (under the installation prefix).\n")
file(WRITE ${include_file} "${extra}")

set(summary_mechcert "train Max-of-K models and write accuracy certificates (untrusted generator)")
set(summary_mechcert-check "verify an accuracy certificate for a model (the trusted checker)")
set(summary_mechcert-check-mpi "verify a sharded certificate with MPI (the trusted checker)")
set(summary "${summary_${NAME}}")
if(summary STREQUAL "")
  set(summary "part of mechcert")
endif()
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=1 --name=${summary} --include=${include_file}
          "--version-string=${NAME} ${VERSION}"
          --output=${page} ${NAME}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  if(NAME STREQUAL "mechcert" OR NAME STREQUAL "mechcert-check")
    message(FATAL_ERROR "help2man ${NAME} failed: ${err}")
  endif()
  # A program that cannot run here (an MPI program outside mpirun): a short page, not no page.
  message(WARNING "help2man ${NAME} failed, writing a short man page: ${err}")
  string(TOUPPER "${NAME}" upper)
  file(WRITE ${page} ".TH ${upper} 1\n.SH NAME\n${NAME} \\- ${summary}\n.SH DESCRIPTION\n"
                     "Run\n.B ${NAME} --help\nfor its options.\n.SH \"SEE ALSO\"\n"
                     ".BR mechcert-check (1)\n")
endif()
execute_process(COMMAND ${GZIP} -9nf ${page} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${page} failed")
endif()
