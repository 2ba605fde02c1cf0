// main() of irq_tests and test_gui: runs the test class registered under
// argv[1] with the rest of the command line, as QTEST_GUILESS_MAIN (or, built
// with IRQ_TEST_WIDGETS, QTEST_MAIN) would for that class alone, after
// registering the built-in quantization formats as the front ends do.
#include "support/test_registry.h"

#include "builtin_formats.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <QCoreApplication>
#ifdef IRQ_TEST_WIDGETS
#include <QApplication>
#endif
#include <QtTest/QtTest>

namespace irq::test {
namespace {

std::map<std::string, TestFactory>& registry() {
  static std::map<std::string, TestFactory> tests;
  return tests;
}

void print_names(std::FILE* to) {
  for (const auto& [name, make] : registry()) std::fprintf(to, "  %s\n", name.c_str());
}

}  // namespace

bool register_test(const char* name, TestFactory make) {
  if (!registry().emplace(name, make).second) {  // one of them would never run
    std::fprintf(stderr, "irq_tests: two test classes registered as '%s'\n", name);
    std::exit(2);
  }
  return true;
}

}  // namespace irq::test

int main(int argc, char** argv) {
  using irq::test::registry;
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s TEST [Qt Test options] [functions]\ntests:\n", argv[0]);
    irq::test::print_names(stderr);
    return 2;
  }
  const auto found = registry().find(argv[1]);
  if (found == registry().end()) {
    std::fprintf(stderr, "%s: no test named '%s'; tests:\n", argv[0], argv[1]);
    irq::test::print_names(stderr);
    return 2;
  }
  // argv without the test name, as Qt Test expects it.
  std::vector<char*> args{argv[0]};
  args.insert(args.end(), argv + 2, argv + argc);
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
#ifdef IRQ_TEST_WIDGETS
  QApplication app(count, args.data());
#else
  QCoreApplication app(count, args.data());
#endif
  app.setAttribute(Qt::AA_Use96Dpi, true);
  irq::register_builtin_formats();  // as the front ends do at start
  const std::unique_ptr<QObject> test = found->second();
  return QTest::qExec(test.get(), count, args.data());
}
