// The data source of a run (schema version 3): kept apart from store.cpp, which holds the run's
// life cycle.

#include "base/error.h"
#include "reports/sqlite_db.h"
#include "reports/store.h"

namespace dti::reports {

void Store::write_data_source(int64_t run_id, const std::string& run_name, const DataSource& data) {
  DTI_CHECK(data.kind.empty() || data.kind == "generated" || data.kind == "converted",
            "results store: data source kind '", data.kind, "' of run ", run_name,
            " is not one of generated, converted or '' (unknown)");
  Statement update(*db_, "UPDATE runs SET data_kind = ?2, data_note = ?3 WHERE id = ?1");
  update.bind(1, run_id).bind(2, data.kind).bind(3, data.note).run();
}

void Store::set_data_source(int64_t run_id, const DataSource& data) {
  Transaction transaction(*db_);
  run(run_id);  // throws for an unknown id, naming the store
  write_data_source(run_id, std::to_string(run_id), data);
  transaction.commit();
}

}  // namespace dti::reports
