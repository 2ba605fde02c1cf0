// "Run on" choice and the remote request it makes.
#include "run_on_form.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSettings>

namespace irq::ui {

namespace {
const QString kInProcess = QStringLiteral("process");
const QString kLocalCli = QStringLiteral("local");
const QString kHost = QStringLiteral("ssh");
const QString kHostsKey = QStringLiteral("runOn/hosts");
}  // namespace

RunOnForm::RunOnForm(QWidget* parent) : QWidget(parent), target_(new QComboBox), program_(new QLineEdit) {
  target_->setEditable(true);
  target_->setInsertPolicy(QComboBox::NoInsert);
  target_->addItem(tr("this process"), kInProcess);
  target_->addItem(tr("irqlora CLI on this machine"), kLocalCli);
  for (const QString& host : QSettings().value(kHostsKey).toStringList()) target_->addItem(host, kHost);
  target_->setToolTip(tr("or type an ssh destination (user@host): the job runs there through the irqlora CLI"));
  program_->setPlaceholderText(tr("irqlora"));
  program_->setToolTip(tr("the irqlora CLI on the ssh host (default: irqlora on its PATH)"));
  const QString beside = QCoreApplication::applicationDirPath() + "/irqlora";
  local_cli_ = QFileInfo(beside).isExecutable() ? beside : QStringLiteral("irqlora");
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(target_, 2);
  row->addWidget(program_, 1);
  connect(target_, &QComboBox::currentTextChanged, this, [this] {  // an ssh destination, typed or remembered
    const int i = target_->findText(target_->currentText());
    program_->setEnabled(i < 0 || target_->itemData(i).toString() == kHost);
  });
  program_->setEnabled(false);
}

std::optional<RemoteRequest> RunOnForm::remote(const std::string& verb, std::vector<std::string> args,
                                               const std::string& model_dir, const std::string& db_path) const {
  const int i = target_->findText(target_->currentText());
  const QString kind = i >= 0 ? target_->itemData(i).toString() : QString();
  if (kind == kInProcess) return std::nullopt;
  RemoteRequest r = local(verb, std::move(args), model_dir, db_path);
  if (kind != kLocalCli) {
    r.program = "irqlora";
    const std::string dest = target_->currentText().trimmed().toStdString();
    r.launcher = {"ssh", "-o", "BatchMode=yes", dest};
    r.host = dest.substr(dest.find('@') + 1);
    if (!program_->text().trimmed().isEmpty()) r.program = program_->text().trimmed().toStdString();
  }
  return r;
}

bool RunOnForm::in_process() const {
  const int i = target_->findText(target_->currentText());
  return i >= 0 && target_->itemData(i).toString() == kInProcess;
}

void RunOnForm::remember() {
  const int i = target_->findText(target_->currentText());
  if (i >= 0 && target_->itemData(i).toString() != kHost) return;  // this process / this machine
  const QString host = target_->currentText().trimmed();
  if (host.isEmpty()) return;
  QStringList hosts = QSettings().value(kHostsKey).toStringList();
  hosts.removeAll(host);
  hosts.prepend(host);
  while (hosts.size() > kRememberedHosts) hosts.removeLast();
  QSettings().setValue(kHostsKey, hosts);
  if (i < 0) target_->addItem(host, kHost);
}

RemoteRequest RunOnForm::local(const std::string& verb, std::vector<std::string> args, const std::string& model_dir,
                               const std::string& db_path) const {
  RemoteRequest r;
  r.verb = verb;
  r.args = std::move(args);
  r.model_dir = model_dir;
  r.db_path = db_path;
  r.program = local_cli_.toStdString();
  r.host = "localhost";
  return r;
}

}  // namespace irq::ui
