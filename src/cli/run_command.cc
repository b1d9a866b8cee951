#include "cli/run_command.h"
