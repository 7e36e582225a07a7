// bertology: the thin executable; everything lives in the pipeline library.
#include "pipeline/cli/command.h"

int main(int argc, char** argv) { return bertology::run_cli(argc, argv); }
