// CHECK(cond): aborts with a message when an invariant of the program itself is broken.
// Never reached by user input: malformed input is reported as an Error instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define STEPWAY_CHECK_IMPL(cond, text)                                                  \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, text);     \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

#define CHECK(cond) STEPWAY_CHECK_IMPL(cond, #cond)
