// SPDX-License-Identifier: Apache-2.0
#include "sip/registrar.h"

#include <algorithm>

namespace bankcc::sip {

bool RegistrationTable::upsert(const std::string& extension, ContactBinding b) {
  auto& list = table_[extension];
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const ContactBinding& x) { return x.uri == b.uri; });
  if (it != list.end()) {
    *it = std::move(b);
    return false;
  }
  list.push_back(std::move(b));
  return true;
}

bool RegistrationTable::remove(const std::string& extension, const std::string& uri) {
  auto t = table_.find(extension);
  if (t == table_.end()) return false;
  auto& list = t->second;
  const auto before = list.size();
  std::erase_if(list, [&](const ContactBinding& x) { return x.uri == uri; });
  const bool changed = list.size() != before;
  if (list.empty()) table_.erase(t);
  return changed;
}

bool RegistrationTable::removeAll(const std::string& extension) {
  return table_.erase(extension) > 0;
}

std::vector<std::string> RegistrationTable::expire(base::MonoTime now) {
  std::vector<std::string> changed;
  for (auto it = table_.begin(); it != table_.end();) {
    const auto before = it->second.size();
    std::erase_if(it->second, [&](const ContactBinding& b) { return b.expiresAt <= now; });
    if (it->second.size() != before) changed.push_back(it->first);
    it = it->second.empty() ? table_.erase(it) : std::next(it);
  }
  return changed;
}

const std::vector<ContactBinding>& RegistrationTable::bindings(const std::string& extension) const {
  static const std::vector<ContactBinding> kNone;
  auto it = table_.find(extension);
  return it == table_.end() ? kNone : it->second;
}

bool RegistrationTable::registeredFrom(const std::string& extension, const std::string& ip) const {
  const auto& list = bindings(extension);
  return std::any_of(list.begin(), list.end(),
                     [&](const ContactBinding& b) { return b.host == ip || b.sourceIp == ip; });
}

std::vector<Registration> RegistrationTable::snapshot() const {
  std::vector<Registration> out;
  out.reserve(table_.size());
  for (const auto& [extension, list] : table_) {
    Registration r;
    r.extension = extension;
    r.expires = base::SysTime::max();
    for (const ContactBinding& b : list) {
      r.contacts.push_back(b.uri);
      r.expires = std::min(r.expires, b.expiresWall);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace bankcc::sip
