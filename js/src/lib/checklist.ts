// A row of labelled checkboxes for choosing several items from a list (labels are text only).
import { h } from "./controls";

export interface Checklist {
  root: HTMLElement;
  set(checked: string[]): void;
}

export function checklist(label: string, items: string[], checked: string[], onChange: (checked: string[]) => void): Checklist {
  const boxes = items.map((item) => {
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = item;
    input.checked = checked.includes(item);
    input.setAttribute("aria-label", item);
    input.addEventListener("change", () => onChange(boxes.filter((b) => b.checked).map((b) => b.value)));
    return input;
  });
  const root = h("fieldset", { className: "nbviz-checklist" }, [
    h("legend", { text: label }),
    ...boxes.map((input) => h("label", {}, [input, h("span", { text: input.value })])),
  ]);
  return {
    root,
    set(next) {
      for (const b of boxes) b.checked = next.includes(b.value);
    },
  };
}
