#include "stages/structural_probe/structural_section.h"

namespace bertology {

const ConfigSection<StructuralParams>& structural_section() {
  static const ConfigSection<StructuralParams> section("structural", "Hewitt & Manning's structural probe", {
      field(&StructuralParams::rank,
           int_key("rank", 0, 0, kUnbounded,
          "Rank of the structural probe's matrix B; 0 = the model's hidden size (Hewitt's BERT configs).")),
      field(&StructuralParams::batch_sentences,
           int_key("batch_sentences", 20, 1, kUnbounded, "Sentences per structural-probe update (Hewitt: 20).")),
      field(&StructuralParams::lr,
           float_key("lr", 0.001, 1e-8, 10.0, "Initial Adam learning rate of the structural probe (Hewitt: 0.001).")),
      field(&StructuralParams::lr_decay,
           float_key("lr_decay", 0.1, 1e-4, 1.0,
          "Factor applied to the learning rate after each epoch whose dev loss does not improve "
          "(Hewitt's ReduceLROnPlateau, patience 0); 1 = constant.")),
      field(&StructuralParams::max_epochs,
           int_key("max_epochs", 40, 1, 10000, "Most epochs of the structural probe (Hewitt: 40).")),
      field(&StructuralParams::patience,
           int_key("patience", 5, 1, 10000,
          "Stop the structural probe after this many epochs without a dev-loss gain of 1e-4 (Hewitt: 5).")),
  });
  return section;
}

}  // namespace bertology
