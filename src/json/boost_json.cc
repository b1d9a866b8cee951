// Boost.JSON's implementation, compiled into this module rather than linked from its shared
// library (Boost's "header-only" use: src.hpp in exactly one translation unit). Every value,
// object and string operation of the engine's hot path is a call into Boost.JSON; built here
// they are direct calls in position-dependent code with this project's optimisation flags,
// not calls through the shared library's PLT. Nothing else may link libboost_json: two copies
// of its statics (the empty object's table among them) in one process would not agree.
#include <boost/json/src.hpp>
