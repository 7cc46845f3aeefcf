// <inferplan-advisor>: importing this module defines the element.
export declare class InferplanAdvisor extends HTMLElement {
  static observedAttributes: string[];
}

declare global {
  interface HTMLElementTagNameMap {
    "inferplan-advisor": InferplanAdvisor;
  }
}
