#include "daemon/grpc_services.h"

#include <cstdlib>

#include "google/protobuf/descriptor.h"

namespace vpvm::daemon {

const google::protobuf::MethodDescriptor* FindMethod(const char* service, const char* method) {
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  const auto* found = descriptor == nullptr ? nullptr : descriptor->FindMethodByName(method);
  if (found == nullptr) std::abort();  // the generated code and its descriptors disagree
  return found;
}

}  // namespace vpvm::daemon
