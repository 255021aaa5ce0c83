// The sidebar's model on its own: listings replacing rows in place or anew, and relative times
// recomputed as the clock moves on.

#include "gui-qml/token_list_model.h"

#include <QSignalSpy>

#include "gtest/gtest.h"

// Failures print QStrings as text.
inline void PrintTo(const QString& text, std::ostream* out) {
  *out << '"' << text.toStdString() << '"';
}

namespace vpvm::gui {
namespace {

v1::Token Token(const std::string& id, const std::string& label) {
  v1::Token token;
  token.set_token_id(id);
  token.set_label(label);
  token.set_status(v1::TOKEN_STATUS_ACTIVE);
  token.mutable_vm_scope()->set_all_vms(true);
  return token;
}

TEST(TokenListModelTest, TheSameTokensAreUpdatedInPlace) {
  TokenListModel model;
  model.Replace({Token("tok_a", "A"), Token("tok_b", "B")});
  QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

  v1::Token renamed = Token("tok_b", "B2");
  model.Replace({Token("tok_a", "A"), renamed});
  EXPECT_EQ(reset.count(), 0);
  ASSERT_EQ(changed.count(), 1);  // only the row that changed
  EXPECT_EQ(changed.at(0).at(0).toModelIndex().row(), 1);
  EXPECT_EQ(model.get(1)["label"].toString(), "B2");

  model.Replace({Token("tok_b", "B2")});
  EXPECT_EQ(reset.count(), 1);
  EXPECT_EQ(model.rowCount(), 1);
  EXPECT_EQ(model.indexOf("tok_b"), 0);
  EXPECT_EQ(model.indexOf("tok_a"), -1);
}

TEST(TokenListModelTest, RelativeTimesFollowTheClock) {
  const QDateTime now = QDateTime::currentDateTime();
  v1::Token token = Token("tok_a", "A");
  token.mutable_expire_time()->set_seconds(now.toSecsSinceEpoch() + 3 * 3600 + 30);
  token.mutable_last_used_time()->set_seconds(now.toSecsSinceEpoch() - 10);
  token.set_last_used_address("10.0.0.7");
  TokenListModel model;
  model.Replace({token});
  model.Tick(now);
  EXPECT_EQ(model.get(0)["expiryRemaining"].toString(), "3 hours remaining");
  EXPECT_EQ(model.get(0)["lastUsedText"].toString(), "Just now from 10.0.0.7");

  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
  model.Tick(now.addSecs(2 * 3600));
  EXPECT_EQ(changed.count(), 1);
  EXPECT_EQ(model.get(0)["expiryRemaining"].toString(), "1 hour remaining");
  EXPECT_EQ(model.get(0)["lastUsedText"].toString(), "2 hours ago from 10.0.0.7");
  EXPECT_EQ(model.index(0).data(TokenListModel::kExpiryRemainingRole).toString(),
            "1 hour remaining");

  model.Tick(now.addDays(2));
  EXPECT_EQ(model.get(0)["expiryRemaining"].toString(), "expired yesterday");
}

}  // namespace
}  // namespace vpvm::gui
