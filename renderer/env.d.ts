// Vite's client types: lets TypeScript accept the CSS import in main.tsx and import.meta.env.
/// <reference types="vite/client" />
