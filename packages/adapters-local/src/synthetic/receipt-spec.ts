/** One purchased item as the receipt prints it. */
export interface ReceiptItem {
  name: string;
  /** Dollars, printed with two decimals. */
  price: number;
}

/** Everything printed on a synthetic receipt, top to bottom. */
export interface ReceiptSpec {
  merchant_name: string;
  /** Printed under the name, one per line (street, then city/state/zip). */
  address_lines: string[];
  /** Printed as given, e.g. "(510) 555-0142". */
  phone: string;
  /** Printed as given, e.g. "03/14/2024". */
  date: string;
  items: ReceiptItem[];
  /** Dollars, printed with two decimals after TOTAL. */
  total: number;
}

/** A rendered receipt: PNG bytes plus pixel size. */
export interface RenderedReceipt {
  png: Uint8Array;
  width: number;
  height: number;
}
