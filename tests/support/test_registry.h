// The engine's test classes live in one executable (irq_tests): each test
// file registers its Qt Test class under its CTest name, and test_main.cpp
// runs the one named on the command line:
//   ./build/tests/irq_tests test_finetune [Qt Test options] [functions]
// One executable instead of one per class: one link, and the
// files compiled in unity batches (see docs/build_time.md).
#pragma once

#include <memory>

#include <QObject>

namespace irq::test {

using TestFactory = std::unique_ptr<QObject> (*)();

// Returns a value so that registration can initialise a namespace-scope
// constant; a name registered twice ends the program (exit 2) before main.
bool register_test(const char* name, TestFactory make);

}  // namespace irq::test

// In place of QTEST_GUILESS_MAIN(Class): registers Class as `name`.
#define IRQ_TEST_CASE(Class, name)                                              \
  namespace {                                                                   \
  const bool irq_test_registered_##Class = ::irq::test::register_test(          \
      name, []() -> std::unique_ptr<QObject> { return std::make_unique<Class>(); }); \
  }
