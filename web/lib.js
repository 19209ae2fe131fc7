// The one place the vendored component library is imported: `html` templates bound to Preact,
// plus the hooks the pages use.
import { h, render } from "./vendor/preact.module.js";
import {
  useState,
  useEffect,
  useCallback,
  useRef,
  useMemo,
} from "./vendor/hooks.module.js";
import htm from "./vendor/htm.module.js";

export const html = htm.bind(h);
export { h, render, useState, useEffect, useCallback, useRef, useMemo };
