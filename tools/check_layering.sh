#!/usr/bin/env bash
# The pure modules (json, jsonata, asl, engine) do no I/O, start no threads and read no clock:
# fail if one of them includes a header that would let it.
set -euo pipefail
cd "$(dirname "$0")/.."
pure=(src/json src/jsonata src/asl src/engine)
forbidden='#include *[<"](boost/asio|boost/beast|sqlite3|libpq|postgresql|thread|mutex|future|condition_variable|fstream|filesystem|iostream|random|ctime|unistd.h|sys/)[>/."]'
clock='(system_clock|steady_clock|high_resolution_clock)::now|std::time\(|gettimeofday|clock_gettime|random_device'
io='[^n]printf\(|\bfopen\(|\bfwrite\(|std::cout|std::cerr|\bgetenv\('
status=0
if grep -rnE "$forbidden" "${pure[@]}" --include='*.h' --include='*.cc' | grep -v '_test\.cc:'; then
  echo "layering: a pure module includes an I/O, thread, clock or randomness header" >&2
  status=1
fi
if grep -rnE "$clock" "${pure[@]}" --include='*.h' --include='*.cc' | grep -v '_test\.cc:'; then
  echo "layering: a pure module reads a clock" >&2
  status=1
fi
if grep -rnE "$io" "${pure[@]}" --include='*.h' --include='*.cc' | grep -v '_test\.cc:'; then
  echo "layering: a pure module does I/O" >&2
  status=1
fi
[[ $status -eq 0 ]] && echo "layering: ok (${pure[*]} are pure)"
exit $status
