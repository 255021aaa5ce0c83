// main() of the GoogleTest binaries of the GUI: the models need a QGuiApplication (for the
// event loop that brings call results back, and for the clipboard).

#include <QGuiApplication>

#include "gtest/gtest.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  QGuiApplication app(argc, argv);
  return RUN_ALL_TESTS();
}
