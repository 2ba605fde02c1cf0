// Weights tab: layer histogram, block view and per-block distributions.
#include "weights_view.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "common/error.h"
#include "form_helpers.h"
#include "jobs_panel.h"
#include "plot_tools.h"

namespace irq::ui {

namespace {

const QColor kPlain(127, 127, 127), kIcq(214, 39, 40), kWeights(31, 119, 180), kCompare(44, 160, 44);

// What ICQ searches over in the settings' format ("offset tau", "range multiplier p").
QString offset_name(const QuantSettings& s) { return QString::fromStdString(require_quant_format(s.method).offset_name); }

// Whether `block` is a block/group size the settings' format takes.
bool block_size_fits(QuantSettings s, int block) {
  s.block_size = block;
  s.icq = false;  // only the block shape is in question here
  try {
    s.validate();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// One legend entry per line: never cut at the panels' narrow widths.
QCustomPlot* weights_plot(const QString& title, const QString& x, const QString& y) {
  QCustomPlot* p = titled_plot(title, x, y, /*title_points=*/9, /*legend_columns=*/1);
  p->setMinimumSize(200, 150);
  return p;
}

// Histogram of `v` as bars (bin centers, counts).
QCPBars* histogram(QCustomPlot* p, const std::vector<float>& v, int bins, double lo, double hi, const QColor& c, const QString& name,
                   double shift = 0, double width_fraction = 1.0) {
  std::vector<double> counts(static_cast<size_t>(bins), 0.0);
  const double w = (hi - lo) / bins;
  for (float x : v) {
    if (!std::isfinite(x)) continue;
    int b = w > 0 ? static_cast<int>((x - lo) / w) : 0;
    counts[static_cast<size_t>(std::clamp(b, 0, bins - 1))] += 1;
  }
  auto* bars = new QCPBars(p->xAxis, p->yAxis);
  bars->setName(name);
  bars->setWidth(w * width_fraction);
  bars->setPen(Qt::NoPen);
  QColor fill = c;
  fill.setAlpha(150);
  bars->setBrush(fill);
  for (int b = 0; b < bins; ++b) bars->addData(lo + w * (b + 0.5) + shift * w, counts[static_cast<size_t>(b)]);
  return bars;
}

void range_of(const std::vector<float>& v, double* lo, double* hi) {
  *lo = 1e30, *hi = -1e30;
  for (float x : v) *lo = std::min<double>(*lo, x), *hi = std::max<double>(*hi, x);
  if (*hi <= *lo) *hi = *lo + 1e-6;
}

void vline(QCustomPlot* p, double x, const QColor& c, Qt::PenStyle style) {
  auto* l = new QCPItemStraightLine(p);
  l->point1->setCoords(x, 0);
  l->point2->setCoords(x, 1);
  l->setPen(QPen(c, 1, style));
}

void hline(QCustomPlot* p, double y, const QColor& c, Qt::PenStyle style) {
  auto* l = new QCPItemStraightLine(p);
  l->point1->setCoords(0, y);
  l->point2->setCoords(1, y);
  l->setPen(QPen(c, 1, style));
}

// One setting's search on a block: its candidates' entropy sorted by offset
// (NF4's tau, INT's p) on axis `x`, and its choice marked. Returns the
// offsets' range.
std::pair<double, double> plot_search(QCustomPlot* p, QCPAxis* x, const std::vector<SearchPoint>& curve, int chosen,
                                      const QPen& pen, const QCPScatterStyle& mark, const QString& name,
                                      const QString& choice) {
  std::vector<size_t> order(curve.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t c) { return curve[a].offset < curve[c].offset; });
  auto* g = p->addGraph(x, p->yAxis);
  g->setName(name);
  g->setPen(pen);
  for (size_t i : order) g->addData(curve[i].offset, curve[i].entropy);
  const auto& pick = curve[static_cast<size_t>(std::max(0, chosen))];
  auto* m = p->addGraph(x, p->yAxis);
  m->setName(choice.arg(pick.offset, 0, 'g', 4));
  m->setLineStyle(QCPGraph::lsNone);
  m->setScatterStyle(mark);
  m->addData(pick.offset, pick.entropy);
  const double lo = curve[order.front()].offset, hi = curve[order.back()].offset;
  return {lo, hi > lo ? hi : lo + 1e-6};
}

}  // namespace

WeightsView::WeightsView(JobsPanel* jobs, QWidget* parent)
    : QWidget(parent),
      jobs_(jobs),
      settings_(QuantSettings::for_method("nf4")),
      layer_(new QComboBox),
      inspect_(new QPushButton(tr("Quantize layer (plain and ICQ)"))),
      block_box_(new QSpinBox),
      block_slider_(new QSlider(Qt::Horizontal)),
      info_(new QLabel),
      weights_(weights_plot(tr("Layer weights, block levels"), tr("weight"), tr("count"))),
      block_(weights_plot(tr("Block weights and levels"), tr("index in block"), tr("weight"))),
      codes_(weights_plot(tr("Block codes"), tr("code"), tr("count"))),
      search_(weights_plot(tr("ICQ search on the block"), tr("candidate offset"), tr("entropy (bits)"))),
      entropy_(weights_plot(tr("Entropy per block"), tr("entropy (bits)"), tr("blocks"))),
      tau_(weights_plot(tr("Offset per block"), tr("tau (NF4) / p (INT)"), tr("blocks"))),
      error_(weights_plot(tr("Error per block"), tr("log10 MSE"), tr("blocks"))),
      method_(new QComboBox),
      group_(new QSpinBox),
      n_(new QSpinBox),
      lambda_(new QDoubleSpinBox),
      compare_(new QCheckBox(tr("compare with"))),
      method_b_(new QComboBox),
      lambda_b_(new QDoubleSpinBox),
      n_b_(new QSpinBox),
      debounce_(new QTimer(this)) {
  // names for out-of-process tests (widget_probe.h)
  for (auto [w, name] : std::initializer_list<std::pair<QWidget*, const char*>>{
           {layer_, "weights.layer"}, {inspect_, "weights.inspect"}, {info_, "weights.info"}, {method_, "weights.method"},
           {group_, "weights.group"}, {n_, "weights.n"}, {lambda_, "weights.lambda"}, {compare_, "weights.compare"},
           {method_b_, "weights.compare_method"}, {lambda_b_, "weights.compare_lambda"}, {search_, "weights.search"}})
    w->setObjectName(name);
  layer_->setMinimumContentsLength(40);
  auto* gain = new QPushButton(tr("Largest entropy gain"));
  auto* worst = new QPushButton(tr("Largest error"));
  block_box_->setRange(0, 0);
  block_slider_->setRange(0, 0);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Layer")));
  top->addWidget(layer_, 1);
  top->addWidget(inspect_);
  auto* blocks = new QHBoxLayout;
  blocks->addWidget(new QLabel(tr("Block")));
  blocks->addWidget(block_box_);
  blocks->addWidget(block_slider_, 1);
  blocks->addWidget(gain);
  blocks->addWidget(worst);
  info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  info_->setWordWrap(true);
  method_b_->addItem(tr("same method"), QString());
  add_quant_method_items(method_);
  add_quant_method_items(method_b_);
  group_->setRange(2, 4096);
  n_->setRange(1, 1000);
  lambda_->setRange(0.001, 0.999);
  lambda_->setDecimals(3);
  lambda_->setSingleStep(0.01);
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Method")));
  controls->addWidget(method_);
  controls->addWidget(new QLabel(tr("Block / group")));
  controls->addWidget(group_);
  controls->addWidget(new QLabel(tr("ICQ lambda")));
  controls->addWidget(lambda_);
  controls->addWidget(new QLabel(tr("n")));
  controls->addWidget(n_);
  lambda_b_->setRange(0.001, 0.999);
  lambda_b_->setDecimals(3);
  lambda_b_->setSingleStep(0.01);
  lambda_b_->setValue(0.2);
  n_b_->setRange(1, 1000);
  n_b_->setValue(100);
  compare_->setToolTip(tr("Compare: a second setting on the same blocks, another method or another lambda and n"));
  controls->addSpacing(12);
  controls->addWidget(compare_);
  controls->addWidget(method_b_);
  controls->addWidget(new QLabel(tr("lambda")));
  controls->addWidget(lambda_b_);
  controls->addWidget(new QLabel(tr("n")));
  controls->addWidget(n_b_);
  controls->addStretch(1);
  set_settings(settings_);
  // With a comparison: five entries in the search plot, three in the codes plot; two lines each.
  search_->legend->setWrap(2);
  search_->yAxis->ticker()->setTickCount(3);  // its legend leaves the axes little height
  search_->legend->setFillOrder(QCPLegend::foColumnsFirst, /*rearrange=*/true);
  codes_->legend->setWrap(2);
  codes_->legend->setFillOrder(QCPLegend::foColumnsFirst, /*rearrange=*/true);
  debounce_->setSingleShot(true);
  debounce_->setInterval(300);
  // Block-level plots on top, the layer's distributions below (12 columns: 3 x 4, then 4 x 3).
  auto* grid = new QGridLayout;
  grid->addWidget(block_, 0, 0, 1, 4);
  grid->addWidget(codes_, 0, 4, 1, 4);
  grid->addWidget(search_, 0, 8, 1, 4);
  grid->addWidget(weights_, 1, 0, 1, 3);
  grid->addWidget(entropy_, 1, 3, 1, 3);
  grid->addWidget(tau_, 1, 6, 1, 3);
  grid->addWidget(error_, 1, 9, 1, 3);
  for (int c = 0; c < 12; ++c) grid->setColumnStretch(c, 1);
  auto* outer = new QVBoxLayout(this);
  outer->addLayout(top);
  outer->addLayout(controls);
  outer->addLayout(blocks);
  outer->addWidget(info_);
  outer->addLayout(grid, 1);
  connect(method_, &QComboBox::currentIndexChanged, this, [this] {
    QuantSettings s = QuantSettings::for_method(method_->currentData().toString().toStdString());
    const QSignalBlocker b1(n_), b2(group_);
    n_->setValue(s.n);  // the method's default search width
    if (!block_size_fits(s, group_->value())) group_->setValue(static_cast<int>(s.block_size));
    controls_changed();
  });
  for (auto* s : {group_, n_}) connect(s, &QSpinBox::valueChanged, this, [this] { controls_changed(); });
  connect(lambda_, &QDoubleSpinBox::valueChanged, this, [this] { controls_changed(); });
  connect(compare_, &QCheckBox::toggled, this, [this] { controls_changed(); });
  connect(method_b_, &QComboBox::currentIndexChanged, this, [this] {
    const QString m = method_b_->currentData().toString();
    const QSignalBlocker b(n_b_);
    n_b_->setValue(QuantSettings::for_method((m.isEmpty() ? method_->currentData().toString() : m).toStdString()).n);  // its default search width
    if (compare_->isChecked()) controls_changed();
  });
  connect(lambda_b_, &QDoubleSpinBox::valueChanged, this, [this] {
    if (compare_->isChecked()) controls_changed();
  });
  connect(n_b_, &QSpinBox::valueChanged, this, [this] {
    if (compare_->isChecked()) controls_changed();
  });
  connect(debounce_, &QTimer::timeout, this, [this] {
    if (data_ || running()) inspect(layer_->currentText());
  });

  connect(inspect_, &QPushButton::clicked, this, [this] { inspect(layer_->currentText()); });
  connect(block_box_, &QSpinBox::valueChanged, this, [this](int b) { show_block(b); });
  connect(block_slider_, &QSlider::valueChanged, block_box_, &QSpinBox::setValue);
  connect(gain, &QPushButton::clicked, this, [this] { jump_to_largest_gain(); });
  connect(worst, &QPushButton::clicked, this, [this] { jump_to_largest_error(); });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &WeightsView::on_done);
}

WeightsView::~WeightsView() { wait(); }

void WeightsView::set_model_dir(const QString& dir) {
  model_dir_ = dir;
  layer_->clear();
  try {
    for (const auto& n : inspectable_weights(dir.toStdString())) layer_->addItem(QString::fromStdString(n));
  } catch (const std::exception& e) {
    Q_EMIT log(tr("weights: %1").arg(e.what()));
  }
}

void WeightsView::set_settings(const QuantSettings& s) {
  settings_ = s;
  const QSignalBlocker b1(method_), b2(group_), b3(n_), b4(lambda_);
  method_->setCurrentIndex(std::max(0, method_->findData(QString::fromStdString(s.method))));
  group_->setValue(static_cast<int>(s.block_size > 0 ? s.block_size : 64));
  n_->setValue(s.n);
  lambda_->setValue(s.lambda);
}

void WeightsView::controls_changed() {
  QuantSettings s = QuantSettings::for_method(method_->currentData().toString().toStdString());
  s.block_size = group_->value();
  s.lambda = lambda_->value();
  s.n = n_->value();
  try {
    s.validate();
  } catch (const std::exception& e) {
    info_->setText(tr("settings: %1").arg(e.what()));
    return;
  }
  settings_ = s;
  debounce_->start();  // restarted by every change: one run after the user pauses
}

std::optional<QuantSettings> WeightsView::compared_settings(const QuantSettings& s, QString* why) const {
  const QString m = method_b_->currentData().toString();
  QuantSettings b = m.isEmpty() ? s : QuantSettings::for_method(m.toStdString());
  b.block_size = s.block_size;  // the same blocks, so that a block can be compared
  b.lambda = lambda_b_->value();
  b.n = n_b_->value();
  try {
    b.validate();
  } catch (const std::exception& e) {
    *why = QString::fromUtf8(e.what());
    return std::nullopt;
  }
  return b;
}

QString WeightsView::compared_name(bool brief) const {
  if (!data_b_) return {};
  const auto& b = data_b_->settings;
  const bool same = data_ && b.method == data_->settings.method;
  const QString method = QString::fromStdString(b.method).toUpper();
  if (brief)  // legends: narrow plots
    return (same ? QString() : method + " ") + QString::fromUtf8("\u03bb %1, n %2").arg(b.lambda).arg(b.n);
  const QString search = tr("lambda %1, n %2").arg(b.lambda).arg(b.n);
  return same ? search : method + " ICQ, " + search;
}

void WeightsView::inspect(const QString& weight_name) {
  if (model_dir_.isEmpty() || weight_name.isEmpty()) return;
  if (running()) {  // superseded: cancel, and run again when it has ended
    if (token_) token_->cancel();
    rerun_ = weight_name;
    return;
  }
  const int i = layer_->findText(weight_name);
  if (i >= 0) layer_->setCurrentIndex(i);
  inspect_->setEnabled(false);
  auto token = std::make_shared<CancelToken>();
  token_ = token;
  job_ = jobs_ ? jobs_->add(tr("inspect %1").arg(weight_name), [token] { token->cancel(); }) : 0;
  const std::string dir = model_dir_.toStdString(), name = weight_name.toStdString();
  const QuantSettings s = settings_;
  std::optional<QuantSettings> b;
  if (compare_->isChecked()) {
    QString why;
    b = compared_settings(s, &why);
    if (!b) Q_EMIT log(tr("compare: %1").arg(why));
  }
  watcher_.setFuture(run_in_worker([this, dir, name, s, b, token] {
    pending_ = std::make_shared<LayerInspection>(inspect_layer(dir, name, s, token.get()));
    pending_b_ = b ? std::make_shared<LayerInspection>(inspect_layer(dir, name, *b, token.get())) : nullptr;
  }));
}

void WeightsView::on_done() {
  inspect_->setEnabled(true);
  const QString error = watcher_.result();
  if (!rerun_.isEmpty()) {  // superseded while it ran: drop its result, start the newest request
    if (jobs_) jobs_->finish(job_, tr("superseded"));
    pending_.reset();
    pending_b_.reset();
    const QString next = rerun_;
    rerun_.clear();
    inspect(next);
    return;
  }
  if (!error.isEmpty()) {
    if (jobs_) jobs_->finish(job_, error);
    Q_EMIT log(tr("inspect failed: %1").arg(error));
    return;
  }
  data_ = std::move(pending_);
  data_b_ = std::move(pending_b_);
  if (jobs_)
    jobs_->finish(job_, tr("%1 blocks, entropy %2 -> %3 bits")
                            .arg(data_->blocks())
                            .arg(data_->plain.mean_entropy, 0, 'f', 4)
                            .arg(data_->icq.mean_entropy, 0, 'f', 4));
  draw_layer();
  const QSignalBlocker b1(block_box_), b2(block_slider_);
  block_box_->setRange(0, static_cast<int>(data_->blocks() - 1));
  block_slider_->setRange(0, static_cast<int>(data_->blocks() - 1));
  show_block(0);
  Q_EMIT inspected(QString::fromStdString(data_->name));
}

void WeightsView::draw_layer() {
  const auto& d = *data_;
  entropy_->clearPlottables();
  const int levels = data_b_ ? std::max(d.icq.levels, data_b_->icq.levels) : d.icq.levels;
  const double hmax = std::log2(static_cast<double>(levels));
  histogram(entropy_, d.plain.entropy, 40, 0, hmax, kPlain, tr("plain (mean %1)").arg(d.plain.mean_entropy, 0, 'f', 3));
  histogram(entropy_, d.icq.entropy, 40, 0, hmax, kIcq, tr("ICQ (mean %1)").arg(d.icq.mean_entropy, 0, 'f', 3));
  if (data_b_)
    histogram(entropy_, data_b_->icq.entropy, 40, 0, hmax, kCompare,
              tr("%1 (mean %2)").arg(compared_name(/*brief=*/true)).arg(data_b_->icq.mean_entropy, 0, 'f', 3));
  entropy_->rescaleAxes();
  entropy_->replot();

  tau_->clearPlottables();
  double lo, hi;
  range_of(d.icq.offset, &lo, &hi);
  histogram(tau_, d.icq.offset, 50, lo, hi, kIcq, offset_name(d.settings));
  tau_->rescaleAxes();
  tau_->replot();

  error_->clearPlottables();
  auto logs = [](const std::vector<float>& v) {
    std::vector<float> out;
    for (float x : v) out.push_back(x > 0 ? std::log10(x) : -12.0f);
    return out;
  };
  const auto lp = logs(d.plain.mse), li = logs(d.icq.mse);
  const auto lb = data_b_ ? logs(data_b_->icq.mse) : std::vector<float>();
  std::vector<float> all = lp;
  all.insert(all.end(), li.begin(), li.end());
  all.insert(all.end(), lb.begin(), lb.end());
  range_of(all, &lo, &hi);
  histogram(error_, lp, 50, lo, hi, kPlain, tr("plain (SQNR %1 dB)").arg(d.plain.sqnr_db, 0, 'f', 2));
  histogram(error_, li, 50, lo, hi, kIcq, tr("ICQ (SQNR %1 dB)").arg(d.icq.sqnr_db, 0, 'f', 2));
  if (data_b_)
    histogram(error_, lb, 50, lo, hi, kCompare,
              tr("%1 (SQNR %2 dB)").arg(compared_name(/*brief=*/true)).arg(data_b_->icq.sqnr_db, 0, 'f', 2));
  error_->rescaleAxes();
  error_->replot();
}

int64_t WeightsView::block() const { return block_box_->value(); }

void WeightsView::show_block(int64_t b) {
  if (!data_ || b < 0 || b >= data_->blocks()) return;
  const auto& d = *data_;
  {
    const QSignalBlocker b1(block_box_), b2(block_slider_);
    block_box_->setValue(static_cast<int>(b));
    block_slider_->setValue(static_cast<int>(b));
  }
  const auto idx = d.block_indices(b);
  const auto plain_levels = d.block_levels(false, b), icq_levels = d.block_levels(true, b);

  weights_->clearPlottables();
  weights_->clearItems();
  double lo, hi;
  range_of(d.weights, &lo, &hi);
  histogram(weights_, d.weights, 120, lo, hi, kWeights, tr("all weights of the layer"));
  for (float l : plain_levels) vline(weights_, l, kPlain, Qt::DashLine);
  for (float l : icq_levels) vline(weights_, l, kIcq, Qt::SolidLine);
  weights_->rescaleAxes();
  weights_->replot();

  block_->clearPlottables();
  block_->clearItems();
  auto* g = block_->addGraph();
  g->setName(tr("block %1 weights").arg(b));
  g->setLineStyle(QCPGraph::lsNone);
  g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kWeights, 5));
  for (size_t k = 0; k < idx.size(); ++k) g->addData(static_cast<double>(k), d.weights[static_cast<size_t>(idx[k])]);
  for (float l : plain_levels) hline(block_, l, kPlain, Qt::DashLine);
  for (float l : icq_levels) hline(block_, l, kIcq, Qt::SolidLine);
  if (data_b_)  // the compared setting's levels for the same weights
    for (float l : data_b_->block_levels(true, b)) hline(block_, l, kCompare, Qt::DotLine);
  block_->rescaleAxes();
  double ylo = g->data()->begin()->value, yhi = ylo;
  for (auto it = g->data()->begin(); it != g->data()->end(); ++it) ylo = std::min(ylo, it->value), yhi = std::max(yhi, it->value);
  const double pad = 0.1 * (yhi - ylo + 1e-12);
  block_->yAxis->setRange(ylo - pad, yhi + pad);
  block_->replot();

  codes_->clearPlottables();
  const int n = d.icq.levels;
  auto* bp = new QCPBars(codes_->xAxis, codes_->yAxis);
  auto* bi = new QCPBars(codes_->xAxis, codes_->yAxis);
  bp->setName(tr("plain, H = %1").arg(d.plain.entropy[static_cast<size_t>(b)], 0, 'f', 3));
  bi->setName(tr("ICQ, H = %1").arg(d.icq.entropy[static_cast<size_t>(b)], 0, 'f', 3));
  for (auto* bars : {bp, bi}) {
    bars->setWidth(0.4);
    bars->setPen(Qt::NoPen);
  }
  bp->setBrush(kPlain);
  bi->setBrush(kIcq);
  const double w = data_b_ ? 0.27 : 0.4, shift = data_b_ ? 0.28 : 0.2;
  for (auto* bars : {bp, bi}) bars->setWidth(w);
  for (int c = 0; c < n; ++c) {
    bp->addData(c - shift, d.plain.histogram[static_cast<size_t>(b * n + c)]);
    bi->addData(data_b_ ? c : c + shift, d.icq.histogram[static_cast<size_t>(b * n + c)]);
  }
  int codes = n;
  if (data_b_) {  // the compared setting's codes of the same block (its own number of levels)
    const int nb = data_b_->icq.levels;
    codes = std::max(n, nb);
    auto* bb = new QCPBars(codes_->xAxis, codes_->yAxis);
    bb->setName(tr("%1: H = %2").arg(compared_name(/*brief=*/true)).arg(data_b_->icq.entropy[static_cast<size_t>(b)], 0, 'f', 3));
    bb->setWidth(w);
    bb->setPen(Qt::NoPen);
    bb->setBrush(kCompare);
    for (int c = 0; c < nb; ++c) bb->addData(c + shift, data_b_->icq.histogram[static_cast<size_t>(b * nb + c)]);
  }
  codes_->rescaleAxes();
  codes_->xAxis->setRange(-0.7, codes - 0.3);
  codes_->replot();
  draw_search(b);
  info_->setText(block_text());
}

void WeightsView::draw_search(int64_t b) {
  const auto& d = *data_;
  search_->clearPlottables();
  search_->clearItems();
  const auto curve = d.search_curve(b);  // 2n+1 small evaluations of one block: plain floats, no tensors
  if (curve.empty()) {
    search_->replot();
    return;
  }
  auto [lo, hi] = plot_search(search_, search_->xAxis, curve, d.icq.candidate[static_cast<size_t>(b)], QPen(kWeights, 1.2),
                              QCPScatterStyle(QCPScatterStyle::ssDisc, kIcq, 8), tr("%1 candidates").arg(curve.size()),
                              tr("chosen: %1"));
  auto* plain = search_->addGraph();
  plain->setName(tr("plain, H = %1").arg(d.plain.entropy[static_cast<size_t>(b)], 0, 'f', 3));
  plain->setPen(QPen(kPlain, 1, Qt::DashLine));
  // The compared setting's candidates on the same block. NF4 searches an
  // offset tau, INT a range multiplier p: across those two its curve gets the
  // top axis, between INT widths (or the same method) it shares the bottom one.
  const bool own_axis = data_b_ && offset_name(d.settings) != offset_name(data_b_->settings);
  double blo = lo, bhi = hi;
  if (data_b_) {
    std::tie(blo, bhi) = plot_search(search_, own_axis ? search_->xAxis2 : search_->xAxis, data_b_->search_curve(b),
                                     data_b_->icq.candidate[static_cast<size_t>(b)], QPen(kCompare, 1.2),
                                     QCPScatterStyle(QCPScatterStyle::ssDiamond, kCompare, 9),
                                     compared_name(/*brief=*/true), tr("its choice: %1"));
    if (!own_axis) lo = std::min(lo, blo), hi = std::max(hi, bhi);
  }
  plain->addData(lo, d.plain.entropy[static_cast<size_t>(b)]);
  plain->addData(hi, d.plain.entropy[static_cast<size_t>(b)]);
  search_->rescaleAxes();
  const auto yr = search_->yAxis->range();
  const double pad = 0.08 * std::max(yr.size(), 1e-3);
  search_->yAxis->setRange(yr.lower - pad, yr.upper + pad);
  search_->xAxis->setRange(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo));
  search_->xAxis2->setVisible(own_axis);
  if (own_axis) {
    search_->xAxis2->setLabel(tr("its %1").arg(offset_name(data_b_->settings)));
    search_->xAxis2->setRange(blo - 0.02 * (bhi - blo), bhi + 0.02 * (bhi - blo));
  }
  search_->replot();
}

QString WeightsView::block_text() const {
  if (!data_) return {};
  const auto& d = *data_;
  const size_t b = static_cast<size_t>(block());
  return tr("%1 %2, block %3 of %4:  entropy %5 -> %6 bits (gain %7),  %8 %9,  MSE %10 -> %11")
      .arg(QString::fromStdString(d.name), QString::fromStdString(d.settings.method).toUpper())
      .arg(b)
      .arg(d.blocks())
      .arg(d.plain.entropy[b], 0, 'f', 4)
      .arg(d.icq.entropy[b], 0, 'f', 4)
      .arg(d.icq.entropy[b] - d.plain.entropy[b], 0, 'f', 4)
      .arg(QString::fromStdString(require_quant_format(d.settings.method).offset_symbol))
      .arg(d.icq.offset[b], 0, 'g', 5)
      .arg(d.plain.mse[b], 0, 'e', 3)
      .arg(d.icq.mse[b], 0, 'e', 3) +
         (data_b_ ? tr(";  compared (%1): entropy %2 bits, MSE %3")
                        .arg(compared_name(/*brief=*/false))
                        .arg(data_b_->icq.entropy[b], 0, 'f', 4)
                        .arg(data_b_->icq.mse[b], 0, 'e', 3)
                  : QString());
}

void WeightsView::jump_to_largest_gain() {
  if (!data_) return;
  int64_t best = 0;
  float gain = -1e30f;
  for (int64_t b = 0; b < data_->blocks(); ++b) {
    const float g = data_->icq.entropy[static_cast<size_t>(b)] - data_->plain.entropy[static_cast<size_t>(b)];
    if (g > gain) gain = g, best = b;
  }
  show_block(best);
}

void WeightsView::jump_to_largest_error() {
  if (!data_) return;
  const auto& mse = data_->icq.mse;
  show_block(static_cast<int64_t>(std::max_element(mse.begin(), mse.end()) - mse.begin()));
}

}  // namespace irq::ui
