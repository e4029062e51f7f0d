// The caption under the saliency explorer's input: which input, its true class when known, and the
// class the maps explain.

/** `labels` holds a true class per input, -1 for an added input without one, or nothing at all. */
export function inputCaption(
  index: number, labels: readonly number[], names: readonly string[], explained: number, predicted: boolean,
): string {
  const label = labels[index] ?? -1;
  const truth = label >= 0 ? ` · true class ${names[label] ?? label}` : "";
  return `input ${index}${truth} · explaining ${names[explained] ?? explained}` + (predicted ? " (predicted)" : "");
}
