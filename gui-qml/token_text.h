#pragma once

// The words the Access Tokens window uses for a token and for what went wrong: status, access
// level and what it allows, expiry, last use, relative times, and daemon errors rephrased for a
// person. Times are shown in the local time zone.

#include <QDateTime>
#include <QString>
#include <QVariantMap>

#include "absl/status/status.h"
#include "vpvm/v1/token_service.pb.h"

namespace vpvm::gui {

QDateTime ToDateTime(const google::protobuf::Timestamp& timestamp);

// "just now", "5 minutes ago", "3 hours ago", "yesterday", "12 days ago".
QString Ago(const QDateTime& when, const QDateTime& now);

// "27 days remaining", "5 hours remaining", "expired 2 days ago".
QString Remaining(const QDateTime& expiry, const QDateTime& now);

// "active", "disabled" or "expired".
QString StatusKey(v1::TokenStatus status);

// "All VMs", or the VM names (ids where a name is unknown), comma-separated.
QString VmScopeText(const v1::VmScope& scope);

// Everything the window shows of `token` at `now`, keyed as the QML reads it (see the .cc).
QVariantMap TokenToVariant(const v1::Token& token, const QDateTime& now);

// `status` in words for a person, after `action` ("Could not create the token").
QString HumanError(const absl::Status& status, const QString& action);

}  // namespace vpvm::gui
