#include "gui-qml/token_text.h"

#include <QLocale>
#include <QStringList>
#include <QVariantList>
#include <algorithm>

#include "cli/client/connection.h"

namespace vpvm::gui {
namespace {

QString Plural(qint64 n, const char* unit) {
  return QStringLiteral("%1 %2%3").arg(n).arg(QLatin1String(unit)).arg(n == 1 ? "" : "s");
}

// The largest whole unit of `seconds`: "5 minutes", "3 hours", "12 days".
QString Span(qint64 seconds) {
  if (seconds < 3600) return Plural(std::max<qint64>(1, seconds / 60), "minute");
  if (seconds < 86400) return Plural(seconds / 3600, "hour");
  return Plural(seconds / 86400, "day");
}

// Like Span, to the nearest unit, as the CLI shows expiries: a token made to last 30 days reads
// "30 days" a moment later, not "29 days".
QString RoundedSpan(qint64 seconds) {
  if (seconds < 3570) return Plural(std::max<qint64>(1, (seconds + 30) / 60), "minute");
  if (seconds < 84600) return Plural((seconds + 1800) / 3600, "hour");
  return Plural((seconds + 43200) / 86400, "day");
}

QString LevelDescription(const v1::Token& token) {
  if (token.is_master()) return QStringLiteral("Everything, including managing tokens.");
  if (token.access_level() == v1::ACCESS_LEVEL_ADMIN) {
    return token.vm_scope().all_vms()
               ? QStringLiteral("Full control of every VM, including creating and deleting VMs.")
               : QStringLiteral(
                     "Power operations and changes to configuration, disks, networks "
                     "and snapshots of its VMs.");
  }
  return QStringLiteral(
      "View, start, stop, pause, resume, restart and suspend its VMs; no "
      "changes to them.");
}

QString ExtendedName(int permission) {
  switch (permission) {
    case v1::EXTENDED_PERMISSION_TEMPLATES:
      return QStringLiteral("Templates");
    case v1::EXTENDED_PERMISSION_NETWORKS:
      return QStringLiteral("Networks");
    case v1::EXTENDED_PERMISSION_IMAGES:
      return QStringLiteral("Images");
    default:
      return QStringLiteral("Unknown");
  }
}

QString Capitalized(QString text) {
  if (!text.isEmpty()) text[0] = text[0].toUpper();
  return text;
}

QString Sentence(QString text) {
  text = Capitalized(text.trimmed());
  if (!text.isEmpty() && !text.endsWith('.') && !text.endsWith('?')) text += '.';
  return text;
}

}  // namespace

QDateTime ToDateTime(const google::protobuf::Timestamp& timestamp) {
  return QDateTime::fromMSecsSinceEpoch(timestamp.seconds() * 1000 + timestamp.nanos() / 1000000)
      .toLocalTime();
}

QString Ago(const QDateTime& when, const QDateTime& now) {
  const qint64 seconds = when.secsTo(now);
  if (seconds < 60) return QStringLiteral("just now");
  if (seconds >= 86400 && seconds < 2 * 86400) return QStringLiteral("yesterday");
  return Span(seconds) + QStringLiteral(" ago");
}

QString Remaining(const QDateTime& expiry, const QDateTime& now) {
  const qint64 seconds = now.secsTo(expiry);
  if (seconds <= 0) {
    const qint64 past = -seconds;
    return past < 60 ? QStringLiteral("expired just now")
                     : QStringLiteral("expired ") + Ago(expiry, now);
  }
  return RoundedSpan(seconds) + QStringLiteral(" remaining");
}

QString StatusKey(v1::TokenStatus status) {
  switch (status) {
    case v1::TOKEN_STATUS_ACTIVE:
      return QStringLiteral("active");
    case v1::TOKEN_STATUS_DISABLED:
      return QStringLiteral("disabled");
    default:
      return QStringLiteral("expired");
  }
}

QString VmScopeText(const v1::VmScope& scope) {
  if (scope.all_vms()) return QStringLiteral("All VMs");
  QStringList names;
  for (const v1::VmRef& vm : scope.vms()) {
    names << QString::fromStdString(vm.name().empty() ? vm.id() : vm.name());
  }
  return names.join(QStringLiteral(", "));
}

QVariantMap TokenToVariant(const v1::Token& token, const QDateTime& now) {
  const QLocale locale;
  QVariantMap map;
  map["tokenId"] = QString::fromStdString(token.token_id());
  map["label"] = QString::fromStdString(token.label());
  map["status"] = StatusKey(token.status());
  map["statusText"] = Capitalized(StatusKey(token.status()));
  map["isMaster"] = token.is_master();
  map["disabled"] = token.disabled();
  map["level"] = token.access_level() == v1::ACCESS_LEVEL_ADMIN ? "admin" : "operator";
  map["levelText"] = token.is_master()                                ? "Master"
                     : token.access_level() == v1::ACCESS_LEVEL_ADMIN ? "Admin"
                                                                      : "Operator";
  map["levelDescription"] = LevelDescription(token);
  map["allVms"] = token.is_master() || token.vm_scope().all_vms();
  map["vmScopeText"] =
      token.is_master() ? QStringLiteral("All VMs") : VmScopeText(token.vm_scope());

  QStringList missing;
  for (const std::string& id : token.missing_vm_ids()) missing << QString::fromStdString(id);
  QVariantList vms;
  for (const v1::VmRef& vm : token.vm_scope().vms()) {
    const QString id = QString::fromStdString(vm.id());
    vms << QVariantMap{{"id", id},
                       {"name", QString::fromStdString(vm.name().empty() ? vm.id() : vm.name())},
                       {"missing", missing.contains(id)}};
  }
  map["vms"] = vms;
  map["missingVmIds"] = missing;
  map["missingCount"] = static_cast<int>(missing.size());

  QStringList extended;
  for (int permission : token.extended_permissions()) extended << ExtendedName(permission);
  map["extended"] = extended;

  map["createdText"] = token.has_create_time()
                           ? locale.toString(ToDateTime(token.create_time()), "d MMM yyyy")
                           : QString();
  map["neverExpires"] = !token.has_expire_time();
  if (token.has_expire_time()) {
    const QDateTime expiry = ToDateTime(token.expire_time());
    map["expiryText"] = locale.toString(expiry, "d MMM yyyy, HH:mm");
    map["expiryDate"] = expiry.date().toString(Qt::ISODate);
    map["expiryRemaining"] = Remaining(expiry, now);
  } else {
    map["expiryText"] = QStringLiteral("Never expires");
  }
  if (token.has_last_used_time()) {
    QString used = Capitalized(Ago(ToDateTime(token.last_used_time()), now));
    // The daemon names every client of its Unix socket "unix".
    const std::string& address = token.last_used_address();
    if (address == "unix") {
      used += QStringLiteral(" on the local socket");
    } else if (!address.empty()) {
      used += QStringLiteral(" from ") + QString::fromStdString(address);
    }
    map["lastUsedText"] = used;
  } else {
    map["lastUsedText"] = QStringLiteral("Never used");
  }
  map["twoFactor"] = token.two_factor_enabled();
  return map;
}

QString HumanError(const absl::Status& status, const QString& action) {
  const QString message = QString::fromStdString(std::string(status.message()));
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (status.GetPayload(client::kCertificateProblem)) return Sentence(message);
      if (message.contains("running")) return Sentence(message);
      return Sentence(message) + QStringLiteral(" Is vpvmd running?");
    case absl::StatusCode::kUnauthenticated:
      // The client library's own finding, before anything reached the daemon.
      if (message.startsWith("no token") || message.startsWith("cannot read") ||
          message.startsWith("the token")) {
        return QStringLiteral("This window has no token to present: ") + Sentence(message);
      }
      return QStringLiteral("vpvmd did not accept the token this window uses: ") +
             Sentence(message);
    case absl::StatusCode::kPermissionDenied:
      // Every call of the window is master-only but the VM list, which is never refused.
      return QStringLiteral(
                 "The token this window uses is not the master token, which alone "
                 "manages tokens (vpvmd says: ") +
             message + QStringLiteral(").");
    case absl::StatusCode::kNotFound:
      return action + QStringLiteral(
                          ": the token no longer exists; it may have been revoked "
                          "elsewhere.");
    case absl::StatusCode::kResourceExhausted: {
      QString text = QStringLiteral(
          "vpvmd refuses this address for now after too many failed "
          "attempts.");
      if (auto wait = status.GetPayload(client::kRetryAfter)) {
        text += QStringLiteral(" Try again in %1 seconds.")
                    .arg(QString::fromStdString(std::string(*wait)));
      }
      return text;
    }
    case absl::StatusCode::kDeadlineExceeded:
      return action + QStringLiteral(": vpvmd did not answer in time.");
    default:
      return action + QStringLiteral(": ") + Sentence(message);
  }
}

}  // namespace vpvm::gui
