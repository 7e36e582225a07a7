// Antecedent selection for the coref_heads stage (Clark et al. 2019 §4.3, Table 2): the queries
// (a mention's head word and the head words of its antecedents), the paper's three non-neural
// baselines, and the accuracy by mention type. Torch-free.
//
// Metric: a query is correct when the predicted word (an attention head's argmax, or a baseline's
// choice) is the head word of one of the mention's antecedents.
//
// Our choices where the paper is silent (REPLICATION.md §2.5):
//  - antecedents of a mention are the mentions of the same entity that start before it; a
//    mention without one (the first mention of an entity, singletons) is not a query;
//  - a mention is not a query when its head word is also an antecedent's head word (nested
//    mentions sharing a head: attending to itself would count as correct), nor when an earlier
//    query of the same entity has the same head word (nested mentions with the same start would
//    count one word twice);
//  - baselines look only at mentions starting before the query's mention ("preceding"), nearest
//    first: larger start first, and for equal starts the longer mention first. Mentions whose
//    head word is the query's own are never predicted.
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/coref/coref_document.h"

namespace bertology {

/// One mention whose antecedent is to be found.
struct AntecedentQuery {
  int mention = 0;                    ///< index into doc.mentions
  int head = 0;                       ///< the mention's head word (document word index)
  std::vector<int> antecedent_heads;  ///< head words of its antecedents, ascending, no repeats
  MentionType type = MentionType::Nominal;
};

/// The queries of `doc` in mention order (see the choices above).
std::vector<AntecedentQuery> antecedent_queries(const CorefDocument& doc);

// Baselines: one predicted head word per query, -1 for none (scored wrong).

/// The head of the nearest preceding mention of any entity.
std::vector<int> nearest_mention(const CorefDocument& doc,
                                 const std::vector<AntecedentQuery>& queries);

/// The head of the nearest preceding mention whose head word is the same word (ASCII case
/// ignored): "Bennet" ... "Bennet". -1 when there is none.
std::vector<int> nearest_head_match(const CorefDocument& doc,
                                    const std::vector<AntecedentQuery>& queries);

/// A 4-sieve system in the style of Lee et al. (2011): the head of the nearest preceding mention
/// that passes the earliest sieve that any preceding mention passes:
///   1. the same words as the query's mention (ASCII case ignored);
///   2. the same head word (as nearest_head_match);
///   3. number, gender and person agree: a feature unknown on either side agrees with anything.
///      Pronouns take theirs from english_pronoun(); other mentions are third person. Their
///      number comes from the head word's XPOS when known (NNS, NNPS plural; NN, NNP singular;
///      other tags unknown); without tags it is plural for a few irregular plurals (men, women,
///      children, people) and for Nominal heads ending in "s" but not in "ss", "us" or "is",
///      singular otherwise (so Proper "James" is singular). Their gender is known only when the
///      mention starts with a title (Mr, Sir, Lord, King: masculine; Mrs, Miss, Lady, Queen,
///      Madam: feminine);
///   4. any preceding mention (as nearest_mention).
std::vector<int> rule_based_sieves(const CorefDocument& doc,
                                   const std::vector<AntecedentQuery>& queries);

/// Accuracy counts by mention type. Index 0 = all queries, 1 + int(MentionType) = that type
/// (1 pronoun, 2 proper, 3 nominal).
struct CorefScore {
  int64_t correct[4] = {0, 0, 0, 0};
  int64_t count[4] = {0, 0, 0, 0};

  /// Percent correct in category k; NaN when it has no queries (not to be read as 0%).
  double accuracy(int k) const;
  void add(const CorefScore& other);
};

/// Adds one count per query, and one correct where predicted_heads[i] is one of query i's
/// antecedent heads. The two vectors must have the same size (InternalError otherwise).
void score_predictions(const std::vector<AntecedentQuery>& queries,
                       const std::vector<int>& predicted_heads, CorefScore& score);

}  // namespace bertology
