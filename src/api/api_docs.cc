// SPDX-License-Identifier: Apache-2.0
#include "api/api_docs.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "api/permissions.h"

namespace bankcc::api {
namespace {

using Json = nlohmann::json;

/// The HTTP methods an OpenAPI path item may hold, lower case.
constexpr std::array<std::string_view, 8> kOpenApiMethods = {"get",     "put",  "post",  "delete",
                                                             "options", "head", "patch", "trace"};

/// The order of methods within one path in docs/permissions.md.
int methodRank(std::string_view method) {
  static constexpr std::array<std::string_view, 5> kOrder = {"GET", "POST", "PUT", "PATCH",
                                                             "DELETE"};
  const auto* it = std::find(kOrder.begin(), kOrder.end(), method);
  return static_cast<int>(it - kOrder.begin());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

/// Text for one Markdown table cell: '|' escaped, line breaks as spaces.
std::string cell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/// The parameter names of a pattern: "/a/{x}/b/{y}" -> {"x", "y"}.
std::vector<std::string> templateParameters(std::string_view pattern) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = pattern.find('{', pos)) != std::string_view::npos) {
    const auto end = pattern.find('}', pos);
    if (end == std::string_view::npos) break;
    names.emplace_back(pattern.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return names;
}

/// `value`, or what its local "$ref" points to (one level; null when it points nowhere).
const Json* resolve(const Json& document, const Json& value) {
  if (!value.is_object()) return &value;
  auto ref = value.find("$ref");
  if (ref == value.end() || !ref->is_string()) return &value;
  const auto& text = ref->get_ref<const std::string&>();
  if (text.rfind("#/", 0) != 0) return nullptr;
  try {
    const Json::json_pointer pointer(text.substr(1));
    if (!document.contains(pointer)) return nullptr;
    return &document.at(pointer);
  } catch (const Json::exception&) {
    return nullptr;
  }
}

/// Names of the "in": "path" parameters of a "parameters" array (refs resolved).
void collectPathParameters(const Json& document, const Json* parameters,
                           std::set<std::string>& names) {
  if (parameters == nullptr || !parameters->is_array()) return;
  for (const auto& p : *parameters) {
    const Json* resolved = resolve(document, p);
    if (resolved == nullptr || !resolved->is_object()) continue;
    if (resolved->value("in", "") == "path" && resolved->contains("name") &&
        (*resolved)["name"].is_string()) {
      names.insert((*resolved)["name"].get<std::string>());
    }
  }
}

/// Every local "$ref" under `value` that resolves to nothing, as "where: ref".
void collectBrokenRefs(const Json& document, const Json& value, const std::string& where,
                       std::vector<std::string>& problems) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (key == "$ref" && child.is_string()) {
        const auto& text = child.get_ref<const std::string&>();
        if (text.rfind('#', 0) == 0 && resolve(document, value) == nullptr) {
          problems.push_back(fmt::format("{}: $ref {} resolves to nothing", where, text));
        }
        continue;
      }
      collectBrokenRefs(document, child, where + "/" + key, problems);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      collectBrokenRefs(document, value[i], fmt::format("{}/{}", where, i), problems);
    }
  }
}

}  // namespace

std::string permissionsMarkdown(const Router& router) {
  std::string out;
  out +=
      "# Permissions\n"
      "\n"
      "<!-- Generated from src/api/permissions.cc and the route table; do not edit. To update:\n"
      "     BANKCC_UPDATE_DOCS=1 build/src/api/api_unit_test --gtest_filter=ApiDocs* -->\n"
      "\n"
      "Every API route declares exactly one permission, and the router refuses a caller who "
      "does not hold it (403 `forbidden`, recorded in the audit log). Users hold permissions "
      "only through roles: the built-in roles below have fixed permission sets, and a user who "
      "holds several roles has the union of their sets. `public` routes need no login; "
      "`authenticated` routes need only a valid session. Supervisors hold "
      "`agent_skills.write`, but it lets them change the skills only of agents in the teams "
      "they supervise; administrators change any agent. Administrators do not read the audit "
      "log: `audit.read` belongs to auditors alone, who change nothing (separation of "
      "duties).\n"
      "\n"
      "## Permissions by role\n"
      "\n";
  const auto& roles = builtInRoles();
  out += "| Permission | Description |";
  for (auto role : roles) out += fmt::format(" {} |", role);
  out += "\n|---|---|";
  for (std::size_t i = 0; i < roles.size(); ++i) out += ":---:|";
  out += '\n';
  for (Permission p : allPermissions()) {
    out += fmt::format("| `{}` | {} |", permissionName(p), cell(permissionDescription(p)));
    for (auto role : roles) {
      const bool held = permissionsOfRole(role).test(static_cast<std::size_t>(p));
      out += held ? " ✓ |" : "  |";
    }
    out += '\n';
  }

  std::vector<const Route*> routes;
  for (const auto& r : router.routes()) routes.push_back(&r);
  std::sort(routes.begin(), routes.end(), [](const Route* a, const Route* b) {
    if (a->pattern != b->pattern) return a->pattern < b->pattern;
    const int ra = methodRank(a->method);
    const int rb = methodRank(b->method);
    if (ra != rb) return ra < rb;
    return a->method < b->method;
  });
  out +=
      "\n"
      "## Routes\n"
      "\n"
      "| Method | Path | Permission | Summary |\n"
      "|---|---|---|---|\n";
  for (const Route* r : routes) {
    out += fmt::format("| {} | `{}` | `{}` | {} |\n", r->method, r->pattern,
                       permissionName(r->permission), cell(r->summary));
  }
  return out;
}

std::vector<std::string> checkOpenApi(const Router& router, std::string_view openApiJson) {
  std::vector<std::string> problems;
  const Json document = Json::parse(openApiJson, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    problems.emplace_back("the OpenAPI description is not valid JSON");
    return problems;
  }
  if (!document.is_object() || !document.contains("paths") || !document["paths"].is_object()) {
    problems.emplace_back("the OpenAPI description has no \"paths\" object");
    return problems;
  }
  const Json& paths = document["paths"];

  std::set<std::pair<std::string, std::string>> routed;  // (METHOD, pattern)
  for (const Route& route : router.routes()) {
    routed.emplace(route.method, route.pattern);
    const std::string name = fmt::format("{} {}", route.method, route.pattern);
    auto item = paths.find(route.pattern);
    if (item == paths.end() || !item->is_object() || !item->contains(lower(route.method))) {
      problems.push_back(fmt::format("{}: route missing from the OpenAPI description", name));
      continue;
    }
    const Json& operation = (*item)[lower(route.method)];
    if (!operation.is_object()) {
      problems.push_back(fmt::format("{}: the operation is not an object", name));
      continue;
    }
    const std::string_view expected = permissionName(route.permission);
    auto permission = operation.find("x-permission");
    if (permission == operation.end() || !permission->is_string()) {
      problems.push_back(fmt::format("{}: no x-permission (expected \"{}\")", name, expected));
    } else if (permission->get_ref<const std::string&>() != expected) {
      problems.push_back(fmt::format("{}: x-permission is \"{}\" but the route needs \"{}\"", name,
                                     permission->get_ref<const std::string&>(), expected));
    }
    auto summary = operation.find("summary");
    if (summary == operation.end() || !summary->is_string() ||
        summary->get_ref<const std::string&>().empty()) {
      problems.push_back(fmt::format("{}: operation without a summary", name));
    }
    std::set<std::string> declared;
    collectPathParameters(document, item->contains("parameters") ? &(*item)["parameters"] : nullptr,
                          declared);
    collectPathParameters(
        document, operation.contains("parameters") ? &operation["parameters"] : nullptr, declared);
    for (const auto& parameter : templateParameters(route.pattern)) {
      if (declared.count(parameter) == 0) {
        problems.push_back(
            fmt::format("{}: path parameter {{{}}} is not declared", name, parameter));
      }
    }
  }

  for (const auto& [path, item] : paths.items()) {
    if (!item.is_object()) {
      problems.push_back(fmt::format("{}: the path item is not an object", path));
      continue;
    }
    for (const auto& [key, operation] : item.items()) {
      if (std::find(kOpenApiMethods.begin(), kOpenApiMethods.end(), key) == kOpenApiMethods.end()) {
        continue;  // parameters, summary, description, servers, x-...
      }
      if (routed.count({upper(key), path}) == 0) {
        problems.push_back(
            fmt::format("{} {}: in the OpenAPI description but not a route", upper(key), path));
      }
    }
  }

  collectBrokenRefs(document, document, "#", problems);
  return problems;
}

}  // namespace bankcc::api
