#pragma once

// The access declaration of every RPC, read once from the `vpvm.v1.access` option in the proto
// descriptors and turned into libauth's terms. The gate consults nothing else: an RPC without a
// declaration is refused.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "libauth/access.h"

namespace vpvm::daemon {

struct MethodRule {
  const google::protobuf::MethodDescriptor* method = nullptr;
  auth::AccessRequirement requirement;
  // The request field naming the VM, or null.
  const google::protobuf::FieldDescriptor* vm_field = nullptr;
};

// The services of vpvm.v1 that vpvmd serves, found through a message of their file: touching
// the message's descriptor links that file's registration in, which a static library would
// otherwise drop.
std::vector<const google::protobuf::ServiceDescriptor*> ApiServices();

class AccessRules {
 public:
  // The rules of every method of every service in package vpvm.v1 of the generated pool.
  // Fails, naming the method, for a declaration the gate cannot enforce.
  static absl::StatusOr<AccessRules> Load();

  // By full method name, "vpvm.v1.TokenService.CreateToken"; null when undeclared.
  const MethodRule* Find(absl::string_view full_method_name) const;
  size_t size() const { return rules_.size(); }

 private:
  absl::flat_hash_map<std::string, MethodRule> rules_;
};

}  // namespace vpvm::daemon
