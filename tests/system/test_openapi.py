"""The OpenAPI document the real vpvmd serves at /openapi.json: fetched with curl over TLS without
a token, valid Swagger 2.0 by Debian's swagger_spec_validator, and complete against the
descriptor set: every RPC's route with its verb, its access declaration, and the field names the
gateway prints."""

import copy
import os
import re
import unittest

from swagger_spec_validator import validator20

from test_gateway import Http
from vpvm_client import Api, Daemon

VPVMD = os.environ["VPVMD"]
API = Api(os.environ["VPVM_DESCRIPTOR_SET"])
VERBS = ("get", "put", "post", "delete", "patch")


def method_options(method):
    """The method's options parsed in the API's own pool, so that its extensions are known."""
    options_class = API.cls("google.protobuf.MethodOptions")
    return options_class.FromString(method.GetOptions().SerializeToString())


def routes(full_method):
    """[(verb, swagger path)] of an RPC's google.api.http rule and its additional bindings."""
    service_name, method_name = full_method.rsplit(".", 1)
    method = API.pool.FindServiceByName(service_name).methods_by_name[method_name]
    rule = method_options(method).Extensions[API.pool.FindExtensionByName("google.api.http")]
    out = []
    for binding in [rule, *rule.additional_bindings]:
        verb = binding.WhichOneof("pattern")
        path = binding.custom.path if verb == "custom" else getattr(binding, verb)
        verb = binding.custom.kind.lower() if verb == "custom" else verb
        # Swagger names a path variable without its segment pattern: {name=*} -> {name}.
        out.append((verb, re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", path)))
    return out


def access_kind(full_method):
    service_name, method_name = full_method.rsplit(".", 1)
    method = API.pool.FindServiceByName(service_name).methods_by_name[method_name]
    rule = method_options(method).Extensions[API.pool.FindExtensionByName("vpvm.v1.access")]
    return rule.DESCRIPTOR.enum_types_by_name["Kind"].values_by_number[rule.kind].name


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(VPVMD).start()
        cls.http = Http(cls.daemon)
        cls.status, cls.document, cls.headers = cls.http("GET", "/openapi.json")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def operations(self):
        for path, item in self.document["paths"].items():
            for verb, operation in item.items():
                if verb in VERBS:
                    yield verb, path, operation

    def test_is_served_as_json_without_a_token(self):
        self.assertEqual(self.status, 200, self.document)
        self.assertEqual(self.headers["content-type"], "application/json")
        # Only GET: other methods go on to the routes, where there is none.
        self.assertEqual(self.http("POST", "/openapi.json", body={})[0], 404)

    def test_is_valid_swagger_2(self):
        self.assertEqual(self.document["swagger"], "2.0")
        # The validator annotates what it reads; give it a copy.
        validator20.validate_spec(copy.deepcopy(self.document))

    def test_every_rpc_route_is_there_with_its_verb(self):
        methods = API.methods()
        self.assertGreater(len(methods), 30)
        for full_method in methods:
            service = full_method.split(".")[-2]
            for verb, path in routes(full_method):
                with self.subTest(rpc=full_method, route=f"{verb.upper()} {path}"):
                    self.assertIn(path, self.document["paths"])
                    self.assertIn(verb, self.document["paths"][path])
                    operation = self.document["paths"][path][verb]
                    self.assertEqual(operation["operationId"], full_method.split(".")[-1])
                    self.assertEqual(operation["tags"], [service])
        self.assertEqual(len(list(self.operations())),
                         sum(len(routes(m)) for m in methods), "operations of no RPC")

    def test_the_token_header_guards_every_operation_but_the_public_ones(self):
        token = self.document["securityDefinitions"]["token"]
        self.assertEqual((token["type"], token["in"], token["name"]),
                         ("apiKey", "header", "X-Auth-Token"))
        self.assertIn({"token": []}, self.document["security"])
        public = {m.split(".")[-1] for m in API.methods() if access_kind(m) == "KIND_PUBLIC"}
        self.assertIn("SignIn", public)
        for verb, path, operation in self.operations():
            with self.subTest(route=f"{verb.upper()} {path}"):
                if operation["operationId"] in public:
                    self.assertEqual(operation["security"], [])
                    self.assertEqual(operation["x-vpvm-access"], {"kind": "KIND_PUBLIC"})
                else:
                    self.assertNotIn("security", operation)
                    self.assertNotEqual(operation["x-vpvm-access"]["kind"], "KIND_PUBLIC")
                self.assertEqual(operation["responses"]["default"]["schema"],
                                 {"$ref": "#/definitions/vpvmError"})

    def test_fields_have_the_json_names_the_gateway_prints(self):
        definitions = self.document["definitions"]
        checked = 0
        for full_method in API.methods():
            service_name, method_name = full_method.rsplit(".", 1)
            method = API.pool.FindServiceByName(service_name).methods_by_name[method_name]
            for message in (method.input_type, method.output_type):
                name = "v1" + message.name
                if name not in definitions:  # an empty message the plugin leaves out
                    continue
                with self.subTest(message=message.full_name):
                    self.assertEqual(set(definitions[name].get("properties", {})),
                                     {field.json_name for field in message.fields})
                    checked += 1
        self.assertGreater(checked, 20)

        # And what the gateway really answers fits the document.
        master = self.daemon.master_secret()
        status, body, _ = self.http("GET", "/v1/self", master)
        self.assertEqual(status, 200, body)
        self.assertLessEqual(set(body), set(definitions["v1InspectSelfResponse"]["properties"]))
        status, body, _ = self.http("GET", "/v1/version", master)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.document["info"]["version"], body["daemonVersion"])

    def test_field_masks_are_the_string_of_the_json_mapping(self):
        self.assertEqual(self.document["definitions"]["protobufFieldMask"]["type"], "string")


if __name__ == "__main__":
    unittest.main()
