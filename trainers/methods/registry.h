// The one list of methods. Adding a method: its own folder, one line in registry.cc.
#pragma once

#include <string>
#include <vector>

#include "trainers/methods/method.h"

namespace trainers {

// Every method, in listing order (parents before their variants).
const std::vector<const Method*>& AllMethods();
// Throws util::InputError (field "methods", with "did you mean") for an unknown name.
const Method& FindMethod(const std::string& name);
std::vector<std::string> MethodNames();
// `harness methods --json`: name, paper, summary, starts_from, options (with types, defaults, docs).
nlohmann::json DescribeMethods();

}  // namespace trainers
