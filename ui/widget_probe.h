// An out-of-process view of the workbench for tests that drive it through
// the window system (tests/gui/click_through.sh: xdotool under Xvfb clicks
// real X events into the real window). With IRQ_WIDGET_PROBE=FILE in the
// environment, the widgets that have an objectName ("weights.method") are
// written to FILE as JSON every 200 ms, replaced atomically: each one's
// global rectangle, whether it is visible, and its state (a button's checked
// state, a combo box's current text, a spin box's or slider's value, a
// label's, line edit's or text box's text, a tab widget's current tab and the rectangle
// of every tab, a plot's titles and axis labels). The test aims at a
// widget's rectangle and reads what its clicks changed. Without the variable
// nothing is installed.
#pragma once

class QWidget;

namespace irq::ui {

// Starts the probe for `root` and its children when IRQ_WIDGET_PROBE is set.
void install_widget_probe(QWidget* root);

}  // namespace irq::ui
