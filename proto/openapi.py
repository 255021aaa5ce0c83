"""Finishes the OpenAPI (Swagger 2.0) document that protoc-gen-swagger wrote for the vpvm.v1
services: names the API and its version, declares the token header as the security scheme of
every operation (none for the public ones, read from the `vpvm.v1.access` declarations of the
descriptor set), describes the gateway's JSON errors, and writes FieldMask as the string the
proto3 JSON mapping makes of it. Fails if an RPC has no operation or an operation no RPC.

Usage: openapi.py SWAGGER_JSON DESCRIPTOR_SET VERSION OUTPUT_JSON
"""

import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PACKAGE = "vpvm.v1"
VERBS = ("get", "put", "post", "delete", "patch")

DESCRIPTION = """\
The HTTP/JSON gateway of vpvmd: every RPC of the vpvm.v1 gRPC services at its google.api.http \
route. Bodies and answers are the proto3 JSON mapping of the request and response messages; \
answers use lowerCamelCase field names, requests may use either those or the proto field names. \
Send a token secret in the X-Auth-Token header (or as Authorization: Bearer). A VM outside the \
token's scope is answered exactly like one that does not exist (404)."""

SECURITY_DEFINITIONS = {
    "token": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": "A token secret: vpvm_ followed by 38 characters.",
    },
    "bearer": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The same secret as `Bearer <secret>`.",
    },
}

ERROR_DEFINITION = {
    "type": "object",
    "description": "Every failure: the HTTP status, the gRPC status name and a message.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer", "format": "int32"},
                "status": {"type": "string", "description": "For example NOT_FOUND."},
                "message": {"type": "string"},
            },
        }
    },
}

FIELD_MASK_DEFINITION = {
    "type": "string",
    "description": "Field paths separated by commas (the proto3 JSON mapping of "
                   "google.protobuf.FieldMask), for example \"label,expireTime\".",
}


def access_rules(descriptor_set_path):
    """{("VmService", "GetVm"): AccessRule as a dict} for every RPC of the package."""
    fds = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set_path, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in fds.file:
        pool.Add(file_proto)
    access = pool.FindExtensionByName(f"{PACKAGE}.access")
    # MethodOptions from this pool, so that the extension parses instead of staying unknown.
    options_class = message_factory.MessageFactory(pool).GetPrototype(
        pool.FindMessageTypeByName("google.protobuf.MethodOptions"))
    rules = {}
    for file_proto in fds.file:
        if file_proto.package != PACKAGE:
            continue
        for service in file_proto.service:
            for method in service.method:
                options = options_class.FromString(method.options.SerializeToString())
                rules[(service.name, method.name)] = json_format.MessageToDict(
                    options.Extensions[access])
    return rules


def finish(document, rules, version):
    document["info"] = {"title": "vpvm API", "version": version, "description": DESCRIPTION}
    document["schemes"] = ["https", "http"]
    document["securityDefinitions"] = SECURITY_DEFINITIONS
    document["security"] = [{"token": []}, {"bearer": []}]

    definitions = document["definitions"]
    definitions["vpvmError"] = ERROR_DEFINITION
    if "protobufFieldMask" in definitions:
        definitions["protobufFieldMask"] = FIELD_MASK_DEFINITION

    unmatched = set(rules)
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb not in VERBS:
                continue
            key = (operation["tags"][0], operation["operationId"])
            if key not in rules:
                sys.exit(f"openapi.py: {verb.upper()} {path} is no RPC of {PACKAGE}")
            unmatched.discard(key)
            rule = rules[key]
            operation["x-vpvm-access"] = rule
            if rule.get("kind") == "KIND_PUBLIC":
                operation["security"] = []
            operation["responses"]["default"] = {
                "description": "An error.",
                "schema": {"$ref": "#/definitions/vpvmError"},
            }
    if unmatched:
        names = ", ".join(f"{service}.{method}" for service, method in sorted(unmatched))
        sys.exit(f"openapi.py: no operation for {names}")
    return document


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    swagger_path, descriptor_set_path, version, output_path = sys.argv[1:]
    with open(swagger_path) as f:
        document = json.load(f)
    document = finish(document, access_rules(descriptor_set_path), version)
    with open(output_path, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
