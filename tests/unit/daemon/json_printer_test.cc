// The gateway's JSON printer against protobuf's own MessageToJsonString: for every request and
// response message of the API, empty and filled, both give the same JSON document.

#include "daemon/gateway/json_printer.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "daemon/access_rules.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "vpvm/v1/token_service.pb.h"

namespace vpvm::daemon::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string ProtobufJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &out, options).ok());
  return out;
}

// Sets every field of `message` (two elements in repeated ones) to a value derived from its
// number, down to `depth` levels of nested messages.
void Fill(Message& message, int depth) {
  const Descriptor& type = *message.GetDescriptor();
  const auto& r = *message.GetReflection();
  if (type.full_name() == "google.protobuf.Timestamp") {
    r.SetInt64(&message, type.FindFieldByName("seconds"), 1'800'000'123);
    r.SetInt32(&message, type.FindFieldByName("nanos"), 120'000'000);
    return;
  }
  if (type.full_name() == "google.protobuf.Duration") {
    r.SetInt64(&message, type.FindFieldByName("seconds"), 90);
    r.SetInt32(&message, type.FindFieldByName("nanos"), 500'000'000);
    return;
  }
  if (type.full_name() == "google.protobuf.FieldMask") {
    r.AddString(&message, type.FindFieldByName("paths"), "expire_time");
    r.AddString(&message, type.FindFieldByName("paths"), "vm_scope.all_vms");
    return;
  }
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    const int n = f->number();
    const int times = f->is_repeated() ? 2 : 1;
    for (int k = 0; k < times; ++k) {
      const std::string text = absl::StrCat(f->name(), "-", k, " \"quoted\" é \\ \t\x01");
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r.AddInt32(&message, f, -n - k) : r.SetInt32(&message, f, -n);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r.AddUInt32(&message, f, n + k) : r.SetUInt32(&message, f, n);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r.AddInt64(&message, f, -(int64_t{1} << 40) - k)
                           : r.SetInt64(&message, f, -(int64_t{1} << 40));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r.AddUInt64(&message, f, (uint64_t{1} << 63) + k)
                           : r.SetUInt64(&message, f, uint64_t{1} << 63);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          f->is_repeated() ? r.AddDouble(&message, f, 0.1 + k) : r.SetDouble(&message, f, 2.5);
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          break;  // vpvm.v1 has none; the printer leaves them to protobuf
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r.AddBool(&message, f, k == 0) : r.SetBool(&message, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const int value = f->enum_type()->value(f->enum_type()->value_count() - 1)->number();
          f->is_repeated() ? r.AddEnumValue(&message, f, value)
                           : r.SetEnumValue(&message, f, value);
          break;
        }
        case FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r.AddString(&message, f, text) : r.SetString(&message, f, text);
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth == 0) break;
          Fill(f->is_repeated() ? *r.AddMessage(&message, f) : *r.MutableMessage(&message, f),
               depth - 1);
          break;
      }
    }
  }
}

// Every message type that an RPC of the API takes or answers, and the types inside them.
std::vector<const Descriptor*> ApiMessages() {
  std::set<const Descriptor*> seen;
  std::vector<const Descriptor*> pending;
  for (const auto* service : ApiServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      pending.push_back(service->method(i)->input_type());
      pending.push_back(service->method(i)->output_type());
    }
  }
  while (!pending.empty()) {
    const Descriptor* type = pending.back();
    pending.pop_back();
    if (!seen.insert(type).second) continue;
    for (int i = 0; i < type->field_count(); ++i) {
      if (type->field(i)->message_type() != nullptr) {
        pending.push_back(type->field(i)->message_type());
      }
    }
  }
  return {seen.begin(), seen.end()};
}

void ExpectSameAsProtobuf(const Message& message) {
  std::optional<std::string> ours = PrintJson(message);
  ASSERT_TRUE(ours.has_value()) << message.GetTypeName();
  const std::string theirs = ProtobufJson(message);
  EXPECT_EQ(nlohmann::json::parse(*ours), nlohmann::json::parse(theirs))
      << message.GetTypeName() << "\nours:     " << *ours << "\nprotobuf: " << theirs;
}

TEST(JsonPrinterTest, EveryApiMessageEmptyOrFilledPrintsAsProtobufPrintsIt) {
  const std::vector<const Descriptor*> types = ApiMessages();
  ASSERT_GT(types.size(), 50u);
  for (const Descriptor* type : types) {
    std::unique_ptr<Message> message(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
    ExpectSameAsProtobuf(*message);
    Fill(*message, 3);
    ExpectSameAsProtobuf(*message);
  }
}

TEST(JsonPrinterTest, AnEnumValueUnknownToThisBuildPrintsAsItsNumber) {
  v1::Token token;
  token.set_access_level(static_cast<v1::AccessLevel>(42));
  ExpectSameAsProtobuf(token);
  EXPECT_EQ(nlohmann::json::parse(*PrintJson(token))["accessLevel"], 42);
}

TEST(JsonPrinterTest, AnOptionalFieldAppearsOnlyWhenSet) {
  v1::Token token;
  EXPECT_FALSE(nlohmann::json::parse(*PrintJson(token)).contains("daysUntilExpiry"));
  token.set_days_until_expiry(0);
  ExpectSameAsProtobuf(token);
  EXPECT_EQ(nlohmann::json::parse(*PrintJson(token))["daysUntilExpiry"], 0);
}

TEST(JsonPrinterTest, InvalidUtf8InAStringDoesNotFailThePrint) {
  v1::Token token;
  token.set_label("bad \xff byte");
  std::optional<std::string> printed = PrintJson(token);
  ASSERT_TRUE(printed.has_value());
  EXPECT_NO_THROW(nlohmann::json::parse(*printed));
}

}  // namespace
}  // namespace vpvm::daemon::gateway
