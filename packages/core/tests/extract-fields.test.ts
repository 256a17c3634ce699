import { describe, expect, it } from 'vitest';
import { findDate, findTotal } from '../src/index.js';

describe('total extraction', () => {
  it('takes a total line that says it includes tax', () => {
    expect(findTotal(['PENCIL 3.20', 'Total Sales (Inclusive GST) RM 13.40', 'CASH RM 20.00', 'CHANGE RM 6.60', 'GST 6% 0.76'])).toBe('13.40');
    expect(findTotal(['PENCIL 3.20', 'Total Incl. GST RM 7.10', 'CASH RM 10.00'])).toBe('7.10');
  });

  it('still skips the tax line itself', () => {
    expect(findTotal(['TOTAL 8.48', 'TOTAL GST 0.48'])).toBe('8.48');
  });

  it('without a total line, ignores cash handed over and change', () => {
    expect(findTotal(['NOODLES 4.50', 'TEA 2.10', 'CASH 50.00', 'CHANGE 43.40'])).toBe('4.50');
  });
});

describe('date extraction', () => {
  it('skips a date whose day or month cannot be real (an OCR slip) for a later plausible one', () => {
    expect(findDate(['INV 96/08/2017', 'DATE: 06/08/2017 10:15'])).toBe('06/08/2017');
    expect(findDate(['12/31/2024'])).toBe('12/31/2024');
  });

  it('keeps the first date-shaped text when none is plausible', () => {
    expect(findDate(['25/29/2017'])).toBe('25/29/2017');
  });
});
