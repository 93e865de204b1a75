// The `mechcert` subcommands. Each lives in its own cmd_<name>.cpp; main.cpp only dispatches.
// Every command returns the process exit code: 0 success, 1 failure of the job itself,
// 2 usage error or unreadable input.
#pragma once

namespace mechcert {

int cmd_train(int argc, char** argv);       // cmd_train.cpp
int cmd_eval(int argc, char** argv);        // cmd_eval.cpp
int cmd_strategies(int argc, char** argv);  // cmd_prove.cpp
int cmd_prove(int argc, char** argv);       // cmd_prove.cpp
int cmd_keygen(int argc, char** argv);      // cmd_keygen.cpp (exit codes: bundle.hpp)
int cmd_sign(int argc, char** argv);        // cmd_sign.cpp
int cmd_verify(int argc, char** argv);      // cmd_verify.cpp
int cmd_sweep(int argc, char** argv);       // cmd_sweep.cpp
int cmd_report(int argc, char** argv);      // cmd_report.cpp

}  // namespace mechcert
