// Module tree view.
#include "model_browser.h"

#include <QHeaderView>

namespace irq::ui {

namespace {

constexpr int kNameRole = Qt::UserRole + 1;
constexpr int kSortRole = Qt::UserRole + 2;

void add_node(QStandardItem* parent, const ModuleNode& node) {
  QList<QStandardItem*> row;
  auto* name = new QStandardItem(QString::fromStdString(node.short_name.empty() ? "model" : node.short_name));
  name->setData(QString::fromStdString(node.name), kNameRole);
  name->setToolTip(QString::fromStdString(node.name));
  row << name << new QStandardItem(QString::fromStdString(node.kind))
      << new QStandardItem(node.weight_shape.empty() ? QString() : QString::fromStdString(shape_to_string(node.weight_shape)))
      << new QStandardItem(node.tied ? QStringLiteral("tied") : QString::fromStdString(node.dtype));
  auto* params = new QStandardItem(QString::fromStdString(format_count(node.params)));
  params->setData(static_cast<qlonglong>(node.params), kSortRole);
  params->setToolTip(QString::number(node.params) + " parameters");
  params->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  row << params;
  for (auto* item : row) item->setEditable(false);
  parent->appendRow(row);
  for (const auto& child : node.children) add_node(name, child);
}

QModelIndex child_named(const QStandardItemModel* m, const QModelIndex& parent, const char* name) {
  for (int i = 0; i < m->rowCount(parent); ++i)
    if (m->index(i, 0, parent).data().toString() == QLatin1String(name)) return m->index(i, 0, parent);
  return {};
}

}  // namespace

ModelBrowser::ModelBrowser(QWidget* parent) : QTreeView(parent), model_(new QStandardItemModel(this)) {
  setModel(model_);
  setAlternatingRowColors(true);
  setUniformRowHeights(true);
  clear_model();
  connect(selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex&, const QModelIndex&) { Q_EMIT module_selected(selected_module()); });
}

void ModelBrowser::clear_model() {
  model_->clear();
  model_->setHorizontalHeaderLabels({tr("Module"), tr("Kind"), tr("Shape"), tr("Dtype"), tr("Params")});
}

void ModelBrowser::show_summary(const ModelSummary& summary) {
  clear_model();
  add_node(model_->invisibleRootItem(), summary.root);
  // Expand down to the first decoder layer's projections so shapes show at once.
  const QModelIndex root = model_->index(0, 0);
  expand(root);
  const QModelIndex decoder = child_named(model_, root, "model");
  expand(decoder);
  const QModelIndex layers = child_named(model_, decoder, "layers");
  expand(layers);
  const QModelIndex first = model_->index(0, 0, layers);
  expand(first);
  for (int i = 0; i < model_->rowCount(first); ++i) expand(model_->index(i, 0, first));
  header()->setStretchLastSection(false);
  header()->setSectionResizeMode(kName, QHeaderView::Interactive);
  for (int c = kKind; c < kColumnCount; ++c) header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  resizeColumnToContents(kName);
}

QString ModelBrowser::selected_module() const {
  const QModelIndex i = currentIndex();
  return i.isValid() ? i.siblingAtColumn(kName).data(kNameRole).toString() : QString();
}

}  // namespace irq::ui
