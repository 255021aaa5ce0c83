"""A third-party gRPC client of vpvmd for the system tests: Debian's python3-grpcio with message
classes built at run time from the daemon's descriptor set, so nothing of vpvm's own C++ is
involved on the client side."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


class Api:
    """The vpvm.v1 services, read from a FileDescriptorSet."""

    def __init__(self, descriptor_set_path):
        fds = descriptor_pb2.FileDescriptorSet()
        with open(descriptor_set_path, "rb") as f:
            fds.ParseFromString(f.read())
        self.pool = descriptor_pool.DescriptorPool()
        for file_proto in fds.file:
            self.pool.Add(file_proto)
        self.factory = message_factory.MessageFactory(self.pool)

    def cls(self, full_name):
        return self.factory.GetPrototype(self.pool.FindMessageTypeByName(full_name))

    def message(self, full_name, **fields):
        msg = self.cls(full_name)()
        for key, value in fields.items():
            if hasattr(value, "DESCRIPTOR"):
                # By bytes, so that messages from another pool (FieldMask, Timestamp) fit too.
                getattr(msg, key).MergeFromString(value.SerializeToString())
            elif isinstance(value, (list, tuple)):
                field = getattr(msg, key)
                for item in value:
                    if hasattr(item, "DESCRIPTOR"):
                        field.add().MergeFromString(item.SerializeToString())
                    else:
                        field.append(item)
            else:
                setattr(msg, key, value)
        return msg

    def method(self, full_method):
        """("vpvm.v1.TokenService", "CreateToken") -> (path, request class, response class)."""
        service_name, method_name = full_method.rsplit(".", 1)
        service = self.pool.FindServiceByName(service_name)
        method = service.methods_by_name[method_name]
        return (
            f"/{service_name}/{method_name}",
            self.cls(method.input_type.full_name),
            self.cls(method.output_type.full_name),
        )

    def methods(self, package="vpvm.v1"):
        out = []
        for name in ["VmService", "HostService", "TokenService", "SessionService", "SystemService"]:
            service = self.pool.FindServiceByName(f"{package}.{name}")
            out.extend(f"{service.full_name}.{m.name}" for m in service.methods)
        return out


class Client:
    def __init__(self, api, channel, token=None):
        self.api, self.channel, self.token = api, channel, token

    def call(self, full_method, request=None, token=None, metadata=None, timeout=10):
        """Returns (status code, response or None, details, trailing metadata dict)."""
        path, req_cls, resp_cls = self.api.method(full_method)
        stub = self.channel.unary_unary(
            path, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=resp_cls.FromString)
        md = list(metadata or [])
        tok = token if token is not None else self.token
        if tok:
            md.append(("x-auth-token", tok))
        try:
            response, call = stub.with_call(request or req_cls(), metadata=md, timeout=timeout)
            return grpc.StatusCode.OK, response, "", dict(call.trailing_metadata() or [])
        except grpc.RpcError as e:
            return e.code(), None, e.details(), dict(e.trailing_metadata() or [])


class Daemon:
    """A real vpvmd on port 0 in a temporary state folder; ready when its address file is."""

    def __init__(self, binary, extra_args=(), state_dir=None):
        self.tmp = tempfile.mkdtemp(prefix="vpvm-sys-", dir="/tmp")
        atexit.register(shutil.rmtree, self.tmp, ignore_errors=True)
        self.state_dir = state_dir or os.path.join(self.tmp, "state")
        self.socket = os.path.join(self.tmp, "vpvmd.sock")
        # Loopback on free ports unless the caller names its own addresses.
        listen = [] if "--listen" in extra_args else ["--listen", "127.0.0.1:0"]
        if "--http-listen" not in extra_args:
            listen += ["--http-listen", "127.0.0.1:0"]
        self.args = [binary, "--state-dir", self.state_dir, "--socket", self.socket, *listen,
                     *extra_args]
        if "--log-level" not in extra_args:
            self.args += ["--log-level", "warn"]
        self.proc = None

    def start(self, timeout=30):
        addresses = os.path.join(self.state_dir, "vpvmd.addresses.json")
        self.log = open(os.path.join(self.tmp, "vpvmd.log"), "w+")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"vpvmd exited with {self.proc.returncode}: {self.log.read()}")
            if os.path.exists(addresses):
                with open(addresses) as f:
                    self.addresses = json.load(f)
                # A file left by a killed predecessor does not count.
                if self.addresses.get("pid") == self.proc.pid:
                    return self
            time.sleep(0.02)
        raise RuntimeError("vpvmd did not become ready")

    def master_secret(self):
        with open(os.path.join(self.state_dir, "master.token")) as f:
            return f.read().strip()

    def unix_channel(self):
        return grpc.insecure_channel("unix:" + self.socket)

    def tls_channel(self):
        with open(os.path.join(self.state_dir, "tls", "cert.pem"), "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel(self.addresses["grpc"], creds,
                                   options=[("grpc.ssl_target_name_override", "localhost")])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None
