#pragma once

// The gRPC face of the vpvm.v1 services. Every generated handler is one line that forwards its
// call into the Dispatcher, where the access gate runs before any handler (a gRPC 1.51 server
// interceptor cannot refuse a call before the handler starts).

#include "daemon/dispatcher.h"
#include "vpvm/v1/host_service.grpc.pb.h"
#include "vpvm/v1/session_service.grpc.pb.h"
#include "vpvm/v1/system_service.grpc.pb.h"
#include "vpvm/v1/token_service.grpc.pb.h"
#include "vpvm/v1/vm_service.grpc.pb.h"

namespace vpvm::daemon {

// The descriptor of `service`'s `method`, looked up once per method.
const google::protobuf::MethodDescriptor* FindMethod(const char* service, const char* method);

#define VPVM_FORWARD_RPC(Service, Method, Request, Response)                    \
  grpc::Status Method(grpc::ServerContext* context, const v1::Request* request, \
                      v1::Response* response) override {                        \
    static const google::protobuf::MethodDescriptor* const method =             \
        FindMethod(v1::Service::service_full_name(), #Method);                  \
    return dispatcher_.Serve(context, method, *request, response);              \
  }

class VmServiceGrpc final : public v1::VmService::Service {
 public:
  explicit VmServiceGrpc(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  VPVM_FORWARD_RPC(VmService, ListVms, ListVmsRequest, ListVmsResponse)
  VPVM_FORWARD_RPC(VmService, GetVm, GetVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, CreateVm, CreateVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, DeleteVm, DeleteVmRequest, DeleteVmResponse)
  VPVM_FORWARD_RPC(VmService, StartVm, StartVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, StopVm, StopVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, PauseVm, PauseVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, ResumeVm, ResumeVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, RestartVm, RestartVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, SuspendVm, SuspendVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, UpdateVm, UpdateVmRequest, Vm)
  VPVM_FORWARD_RPC(VmService, AddDisk, AddDiskRequest, Disk)
  VPVM_FORWARD_RPC(VmService, ResizeDisk, ResizeDiskRequest, Disk)
  VPVM_FORWARD_RPC(VmService, RemoveDisk, RemoveDiskRequest, RemoveDiskResponse)
  VPVM_FORWARD_RPC(VmService, AttachNetwork, AttachNetworkRequest, NetworkAttachment)
  VPVM_FORWARD_RPC(VmService, DetachNetwork, DetachNetworkRequest, DetachNetworkResponse)
  VPVM_FORWARD_RPC(VmService, ListSnapshots, ListSnapshotsRequest, ListSnapshotsResponse)
  VPVM_FORWARD_RPC(VmService, CreateSnapshot, CreateSnapshotRequest, Snapshot)
  VPVM_FORWARD_RPC(VmService, RestoreSnapshot, RestoreSnapshotRequest, Vm)
  VPVM_FORWARD_RPC(VmService, DeleteSnapshot, DeleteSnapshotRequest, DeleteSnapshotResponse)

 private:
  Dispatcher& dispatcher_;
};

class HostServiceGrpc final : public v1::HostService::Service {
 public:
  explicit HostServiceGrpc(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  VPVM_FORWARD_RPC(HostService, ListTemplates, ListTemplatesRequest, ListTemplatesResponse)
  VPVM_FORWARD_RPC(HostService, ListNetworks, ListNetworksRequest, ListNetworksResponse)
  VPVM_FORWARD_RPC(HostService, ListImages, ListImagesRequest, ListImagesResponse)

 private:
  Dispatcher& dispatcher_;
};

class TokenServiceGrpc final : public v1::TokenService::Service {
 public:
  explicit TokenServiceGrpc(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  VPVM_FORWARD_RPC(TokenService, CreateToken, CreateTokenRequest, CreateTokenResponse)
  VPVM_FORWARD_RPC(TokenService, GetToken, GetTokenRequest, Token)
  VPVM_FORWARD_RPC(TokenService, ListTokens, ListTokensRequest, ListTokensResponse)
  VPVM_FORWARD_RPC(TokenService, UpdateToken, UpdateTokenRequest, Token)
  VPVM_FORWARD_RPC(TokenService, RotateToken, RotateTokenRequest, RotateTokenResponse)
  VPVM_FORWARD_RPC(TokenService, DisableToken, DisableTokenRequest, Token)
  VPVM_FORWARD_RPC(TokenService, EnableToken, EnableTokenRequest, Token)
  VPVM_FORWARD_RPC(TokenService, RevokeToken, RevokeTokenRequest, RevokeTokenResponse)
  VPVM_FORWARD_RPC(TokenService, DisableTokenTwoFactor, DisableTokenTwoFactorRequest, Token)
  VPVM_FORWARD_RPC(TokenService, RotateMasterToken, RotateMasterTokenRequest,
                   RotateMasterTokenResponse)

 private:
  Dispatcher& dispatcher_;
};

class SessionServiceGrpc final : public v1::SessionService::Service {
 public:
  explicit SessionServiceGrpc(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  VPVM_FORWARD_RPC(SessionService, SignIn, SignInRequest, SignInResponse)
  VPVM_FORWARD_RPC(SessionService, SignOut, SignOutRequest, SignOutResponse)
  VPVM_FORWARD_RPC(SessionService, GetSession, GetSessionRequest, Session)
  VPVM_FORWARD_RPC(SessionService, BeginTwoFactorEnrollment, BeginTwoFactorEnrollmentRequest,
                   BeginTwoFactorEnrollmentResponse)
  VPVM_FORWARD_RPC(SessionService, ConfirmTwoFactorEnrollment, ConfirmTwoFactorEnrollmentRequest,
                   TwoFactorStatus)
  VPVM_FORWARD_RPC(SessionService, GetTwoFactorStatus, GetTwoFactorStatusRequest, TwoFactorStatus)

 private:
  Dispatcher& dispatcher_;
};

class SystemServiceGrpc final : public v1::SystemService::Service {
 public:
  explicit SystemServiceGrpc(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  VPVM_FORWARD_RPC(SystemService, GetVersion, GetVersionRequest, GetVersionResponse)
  VPVM_FORWARD_RPC(SystemService, InspectSelf, InspectSelfRequest, InspectSelfResponse)

 private:
  Dispatcher& dispatcher_;
};

#undef VPVM_FORWARD_RPC

}  // namespace vpvm::daemon
