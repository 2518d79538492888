import { parse, parseFragment } from "parse5";

/**
 * A real HTML parser's view of a document (parse5, the WHATWG algorithm browsers use), so that
 * the tests see what a browser or mail client would build, not what a regular expression finds.
 */

export interface Element {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly text: string;
  readonly children: readonly Element[];
}

interface Parse5Node {
  nodeName: string;
  tagName?: string;
  value?: string;
  attrs?: Array<{ name: string; value: string }>;
  childNodes?: Parse5Node[];
  content?: Parse5Node;
}

function toElement(node: Parse5Node): Element {
  const kids = [...(node.childNodes ?? []), ...(node.content?.childNodes ?? [])];
  return {
    tag: node.tagName ?? node.nodeName,
    attrs: Object.fromEntries((node.attrs ?? []).map((attr) => [attr.name, attr.value])),
    text: textOf(node),
    children: kids.filter((kid) => kid.tagName !== undefined).map(toElement),
  };
}

function textOf(node: Parse5Node): string {
  if (node.nodeName === "#text") return node.value ?? "";
  if (node.tagName === "br") return "\n";
  return (node.childNodes ?? []).map(textOf).join("");
}

/** The whole document's root element. */
export function parseDocument(html: string): Element {
  const document = parse(html) as unknown as Parse5Node;
  const root = document.childNodes?.find((node) => node.tagName === "html");
  if (root === undefined) throw new Error("no <html> element");
  return toElement(root);
}

export function parseHtmlFragment(html: string): Element {
  return toElement(parseFragment(html));
}

/** Every element below `root`, depth first, itself included. */
export function allElements(root: Element): Element[] {
  return [root, ...root.children.flatMap(allElements)];
}
