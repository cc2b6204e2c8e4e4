/**
 * The one way the console builds DOM. Every piece of API text goes in as a text node or an
 * attribute value, never through innerHTML, so a request's justification or notes cannot
 * become markup.
 */

export type Child = Node | string | number | null | undefined | false | Child[];

type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element with attributes, event listeners (`on…` keys) and children.
 * `false`, `null` and `undefined` attributes and children are skipped; `true` sets an empty attribute.
 * @example h('button', { type: 'button', onclick: () => save() }, 'Save')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (text as text nodes), flattening arrays. */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces all children of an element. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let idCounter = 0;
/** A document-unique id for label/aria-describedby pairs. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A path with a line-break opportunity before each inner slash, so long paths wrap at segments. */
export function breakAfterSlashes(path: string): Child[] {
  return path.split('/').flatMap((segment, index) => (index <= 1 ? [index === 0 ? segment : '/' + segment] : [h('wbr'), '/' + segment]));
}
