#include "cli/token_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/parse.h"

namespace vpvm::cli {
namespace {

std::string StatusMark(v1::TokenStatus status, bool colour) {
  switch (status) {
    case v1::TOKEN_STATUS_ACTIVE:
      return Paint("●", Colour::kGreen, colour);
    case v1::TOKEN_STATUS_DISABLED:
      return Paint("○", Colour::kGrey, colour);
    default:
      return Paint("✕", Colour::kRed, colour);
  }
}

std::string ExtendedText(const google::protobuf::RepeatedField<int>& permissions) {
  std::vector<std::string> names;
  for (int permission : permissions) {
    names.push_back(ExtendedName(static_cast<v1::ExtendedPermission>(permission)));
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

std::string LastUsedText(const v1::Token& token, const Cli& cli) {
  if (!token.has_last_used_time()) return "never";
  std::string text = FormatAgo(FromProto(token.last_used_time()), cli.Now(), cli.zone());
  if (!token.last_used_address().empty())
    absl::StrAppend(&text, " from ", token.last_used_address());
  return text;
}

const google::protobuf::Timestamp* ExpiryOf(const v1::Token& token) {
  return token.has_expire_time() ? &token.expire_time() : nullptr;
}

}  // namespace

std::vector<std::string> TokenListHeader() {
  return {" ", "LABEL", "TOKEN ID", "VMS", "SCOPE", "STATUS", "EXPIRES", "LAST USED"};
}

std::vector<std::string> TokenListRow(const v1::Token& token, const Cli& cli) {
  std::string vms = VmScopeText(token.vm_scope(), token.missing_vm_ids_size());
  if (token.is_master()) vms = "All VMs (master)";
  return {StatusMark(token.status(), cli.colour()),
          token.label(),
          token.token_id(),
          vms,
          token.is_master() ? "Master" : ScopeName(token.access_level()),
          TokenStatusName(token.status()),
          ExpiryShort(ExpiryOf(token), cli.Now()),
          LastUsedText(token, cli)};
}

std::string VmScopeText(const v1::VmScope& scope, int missing) {
  if (scope.all_vms()) return "All VMs";
  std::vector<std::string> names;
  for (const v1::VmRef& vm : scope.vms()) names.push_back(vm.name().empty() ? vm.id() : vm.name());
  std::string text = absl::StrJoin(names, ", ");
  if (missing > 0) absl::StrAppend(&text, " ⚠ ", missing, " missing");
  return text;
}

std::string ExpiryShort(const google::protobuf::Timestamp* expire_time, absl::Time now) {
  if (expire_time == nullptr) return "never";
  const absl::Duration left = FromProto(*expire_time) - now;
  if (left <= absl::ZeroDuration()) return "expired";
  // Rounded to the nearest unit: "--expires 12h" reads "in 12h" a moment later, not "in 11h".
  if (left < absl::Minutes(59.5)) {
    return absl::StrCat("in ", std::max<int64_t>(1, absl::ToInt64Minutes(left + absl::Seconds(30))),
                        "m");
  }
  if (left < absl::Hours(23.5)) {
    return absl::StrCat("in ", absl::ToInt64Hours(left + absl::Minutes(30)), "h");
  }
  const int64_t days = absl::ToInt64Hours(left + absl::Hours(12)) / 24;
  return absl::StrCat("in ", days, days == 1 ? " day" : " days");
}

std::string ExpiryLong(const google::protobuf::Timestamp* expire_time, const Cli& cli) {
  if (expire_time == nullptr) return "never";
  const absl::Time at = FromProto(*expire_time);
  return absl::StrCat(FormatUtc(at), " (", FormatLocal(at, cli.zone()), ", ",
                      ExpiryShort(expire_time, cli.Now()), ")");
}

std::string TokenDetails(const v1::Token& token, const Cli& cli) {
  Fields fields;
  fields.Add("Token ID", token.token_id());
  fields.Add("Label", token.label());
  fields.Add("Status", TokenStatusName(token.status()));
  fields.Add("Scope", token.is_master() ? "Master (everything)" : ScopeName(token.access_level()));
  std::string vms = VmScopeText(token.vm_scope(), token.missing_vm_ids_size());
  if (token.missing_vm_ids_size() > 0) {
    absl::StrAppend(&vms, " (no longer exist: ", absl::StrJoin(token.missing_vm_ids(), ", "), ")");
  }
  fields.Add("VMs", token.is_master() ? "All VMs" : vms);
  fields.Add("Extended", ExtendedText(token.extended_permissions()));
  fields.Add("Expires", ExpiryLong(ExpiryOf(token), cli));
  if (token.has_create_time()) {
    fields.Add("Created", FormatLocal(FromProto(token.create_time()), cli.zone()));
  }
  fields.Add("Last used", LastUsedText(token, cli));
  fields.Add("2FA", token.two_factor_enabled() ? "on (dashboard sign-in needs a code)" : "off");
  return fields.Render();
}

std::string SelfDetails(const v1::InspectSelfResponse& self, const Cli& cli) {
  Fields fields;
  fields.Add("Token ID", self.token_id());
  fields.Add("Label", self.label());
  fields.Add("Status", TokenStatusName(self.status()));
  fields.Add("Scope", self.is_master() ? "Master (everything)" : ScopeName(self.access_level()));
  std::string vms =
      self.is_master() ? "All VMs" : VmScopeText(self.vm_scope(), self.missing_vm_ids_size());
  if (self.missing_vm_ids_size() > 0) {
    absl::StrAppend(&vms, " (no longer exist: ", absl::StrJoin(self.missing_vm_ids(), ", "), ")");
  }
  fields.Add("VMs", vms);
  fields.Add("Extended", ExtendedText(self.extended_permissions()));
  fields.Add("Expires", ExpiryLong(self.has_expire_time() ? &self.expire_time() : nullptr, cli));

  const v1::Capabilities& can = self.capabilities();
  std::vector<std::string> may, may_not;
  auto add = [&](bool allowed, const char* what) { (allowed ? may : may_not).push_back(what); };
  add(can.read_vms(), "read VMs");
  add(can.control_vms(), "start, stop, pause, resume, restart and suspend VMs");
  add(can.edit_vms(), "edit VMs, disks, networks and snapshots");
  add(can.create_vms(), "create VMs");
  add(can.delete_vms(), "delete VMs");
  add(can.manage_tokens(), "manage tokens");
  add(can.templates(), "templates");
  add(can.networks(), "host networks");
  add(can.images(), "images");
  fields.Add("May", may.empty() ? "nothing" : absl::StrJoin(may, "; "));
  fields.Add("May not", may_not.empty() ? "-" : absl::StrJoin(may_not, "; "));
  return fields.Render();
}

std::string SecretReveal(const std::string& secret) {
  return absl::StrCat("\nSecret:\n\n    ", secret,
                      "\n\nThis secret is shown only now and cannot be shown again: store it "
                      "safely.\n");
}

}  // namespace vpvm::cli
