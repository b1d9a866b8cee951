// The JSONata lexer and parser: a port of jsonata-js's parser.js (Pratt parser plus the
// processAST pass that turns binary `.` chains into paths and annotates predicates, tuple
// streams and parent slots). Throws JsonataException with S01xx/S02xx/S03xx codes.
#pragma once

#include <memory>
#include <string_view>

#include "jsonata/ast.h"

namespace stepway::jsonata {

// Parses `source` into a fresh Ast. Throws JsonataException on a syntax error.
std::unique_ptr<Ast> ParseExpression(std::string_view source);

}  // namespace stepway::jsonata
